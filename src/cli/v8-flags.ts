// Imported first by the CLI. Incremental marking is turned off: Skein's JS heap stays small while
// large results churn through external (Arrow/gRPC) buffers, which keeps V8 in back-to-back
// incremental marking cycles; atomic full GCs of a small heap are far cheaper. Measured with
// `npm run bench -- doget`: DoGet throughput about 2x higher.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-incremental-marking');
