// Copying DuckDB string vectors (VARCHAR, BLOB, ...) out as Arrow's contiguous bytes.
//
// A duckdb_string_t is 16 bytes: u32 length, then either the bytes inline (length <= 12) or a 4-byte
// prefix and a pointer. The binding reads pointed-to memory only through get_data_from_pointer, one
// native call (and one new buffer) per string: about 0.75 µs, which made string-heavy results several
// times slower than DuckDB itself. Strings of one vector sit together in a few buffers (a Parquet
// page, a dictionary, DuckDB's string arena), so runs of strings close together in memory are read
// with one call each and cut up here.
//
// Why reading the gaps between two strings is safe: memory is mapped and unmapped (and guarded) in
// whole pages of at least 4096 bytes. When the gap between the end of one string and the start of the
// next is under 4096 bytes, every page the run touches holds a byte of one of its strings, so every
// page is mapped. The bytes of the gaps are read and thrown away.
import duckdb from '@duckdb/node-bindings';

/** Largest gap between strings read in one call; must stay below the smallest page size (4096). */
const MAX_GAP = 2048;
/** Largest run read in one call. */
const MAX_RUN = 4 << 20;
const STRING_T = 16;

/**
 * Copies the strings of `count` rows of a string vector (`data`: its 16-byte entries) to `out`, at
 * the positions `dest[k]` (offsets from `outAt`), skipping rows with `dest[k] < 0` (NULLs). Row k is
 * `idx[k]`, or `start + k` when `idx` is null.
 */
export function copyStrings(
  data: Uint8Array,
  start: number,
  idx: ArrayLike<number> | null,
  dest: ArrayLike<number>,
  count: number,
  out: Uint8Array,
  outAt: number,
): void {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  // long strings of the current run: [row, pointer, destination] triples
  const run: number[] = [];
  let runStart = 0;
  let runEnd = 0;
  let runRow = -1;
  const flush = (): void => {
    if (runRow < 0) return;
    const block = duckdb.get_data_from_pointer(data.buffer as ArrayBuffer, data.byteOffset + runRow * STRING_T + 8, runEnd - runStart);
    // strings that follow each other both in DuckDB's memory and in the output (a materialized
    // chunk's heap holds them in row order) are copied as one piece
    let from = -1;
    let to = 0;
    let n = 0;
    for (let j = 0; j < run.length; j += 3) {
      const src = run[j + 1] - runStart;
      const dst = outAt + run[j + 2];
      const len = view.getUint32(run[j] * STRING_T, true);
      if (from >= 0 && src === from + n && dst === to + n) {
        n += len;
        continue;
      }
      if (from >= 0) copyBytes(block, from, n, out, to);
      from = src;
      to = dst;
      n = len;
    }
    if (from >= 0) copyBytes(block, from, n, out, to);
    run.length = 0;
    runRow = -1;
  };
  for (let k = 0; k < count; k++) {
    const at = dest[k];
    if (at < 0) continue;
    const r = idx === null ? start + k : idx[k];
    const n = view.getUint32(r * STRING_T, true);
    if (n <= 12) {
      const from = r * STRING_T + 4;
      const to = outAt + at;
      for (let b = 0; b < n; b++) out[to + b] = data[from + b];
      continue;
    }
    // addresses are below 2^53: the two halves combine exactly in a double
    const p = view.getUint32(r * STRING_T + 8, true) + view.getUint32(r * STRING_T + 12, true) * 4294967296;
    if (runRow >= 0 && p >= runStart && p <= runEnd + MAX_GAP && p + n - runStart <= MAX_RUN) {
      if (p + n > runEnd) runEnd = p + n;
    } else {
      flush();
      if (n > MAX_RUN) {
        out.set(duckdb.get_data_from_pointer(data.buffer as ArrayBuffer, data.byteOffset + r * STRING_T + 8, n), outAt + at);
        continue;
      }
      runRow = r;
      runStart = p;
      runEnd = p + n;
    }
    run.push(r, p, at);
  }
  flush();
}

/** Copies n bytes; a loop for short runs (a subarray view per string costs more than the copy). */
function copyBytes(src: Uint8Array, from: number, n: number, out: Uint8Array, to: number): void {
  if (n <= 64) {
    for (let b = 0; b < n; b++) out[to + b] = src[from + b];
  } else {
    out.set(src.subarray(from, from + n), to);
  }
}

/** The byte length of row `r`'s string. */
export function stringLength(view: DataView, r: number): number {
  return view.getUint32(r * STRING_T, true);
}
