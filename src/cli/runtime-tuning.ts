// Imported first by the CLI, before anything starts native work.
//
// V8: incremental marking is turned off. Skein's JS heap stays small while large results churn
// through external (Arrow/gRPC) buffers, which keeps V8 in back-to-back incremental marking
// cycles; atomic full GCs of a small heap are far cheaper (DoGet throughput about 2x).
//
// libuv: every DuckDB call (connect, prepare, execute, and each 2,048-row fetch of a streaming
// result) runs on libuv's thread pool, and a long query holds one of its threads while DuckDB
// executes (an aggregate holds it for its whole run). With N threads, N-1 slow queries can run
// while quick ones still get through. SKEIN_IO_THREADS sets N (default 16, against libuv's 4); it
// must be set before the pool starts, hence here.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-incremental-marking');

const io = process.env.SKEIN_IO_THREADS || '16';
if (!/^\d+$/.test(io) || Number(io) < 1 || Number(io) > 1024) {
  process.stderr.write(`skein: SKEIN_IO_THREADS must be an integer from 1 to 1024, got "${io}"\n`);
  process.exit(2);
}
process.env.UV_THREADPOOL_SIZE = io;
