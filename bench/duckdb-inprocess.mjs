#!/usr/bin/env node
// In-process DuckDB baselines through @duckdb/node-api (the denominators of the Skein ratios).
//
//   node bench/duckdb-inprocess.mjs materialise [--rows 10000000] [--rounds 3] [--out FILE]
//     creates bench10m, then times `connection.run('SELECT * FROM bench10m')` (DuckDB materialises the
//     whole result; nothing is read out of it). 1 warm-up, best of --rounds.
//   node bench/duckdb-inprocess.mjs select42 [--n 2000] [--warmup 200] [--rounds 3] [--out FILE]
//     connect once, then `run('SELECT 42')` + read the value, N times after the warm-ups; p50/p99 per round.
//
// DuckDB is fixed to threads=2 (perf-anchors section 6: single-node baselines use threads=2).
// Prints one JSON object on stdout (and writes it to --out if given).

import { DuckDBInstance } from '@duckdb/node-api';
import { writeFileSync } from 'node:fs';

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const mode = process.argv[2];
const rounds = Number(arg('rounds', '3'));
const threads = arg('threads', '2');

function pct(sorted, p) {
  const k = Math.max(0, Math.ceil(p * sorted.length) - 1);
  return sorted[k];
}

async function materialise(conn) {
  const rows = Number(arg('rows', '10000000'));
  await conn.run(
    `CREATE OR REPLACE TABLE bench10m AS SELECT i::BIGINT a, i::DOUBLE b, (i % 1000000)::INTEGER c, ` +
      `(i*0.5)::DOUBLE d FROM range(${rows}) t(i)`,
  );
  const times = [];
  let rowCount = 0;
  for (let r = 0; r < rounds + 1; r++) {
    const t0 = process.hrtime.bigint();
    const res = await conn.run('SELECT * FROM bench10m');
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    rowCount = res.rowCount;
    if (r > 0) times.push(ms); // round 0 is the warm-up
  }
  if (rowCount !== rows) throw new Error(`expected ${rows} rows, got ${rowCount}`);
  return { bench: 'duckdb-materialise', rows: rowCount, threads: Number(threads), times_ms: times, best_ms: Math.min(...times) };
}

async function select42(conn) {
  const n = Number(arg('n', '2000'));
  const warmup = Number(arg('warmup', '200'));
  const once = async () => {
    const res = await conn.run('SELECT 42');
    const v = res.getChunk(0).getColumnVector(0).getItem(0);
    if (v !== 42) throw new Error(`SELECT 42 returned ${v}`);
  };
  for (let i = 0; i < warmup; i++) await once();
  const roundsOut = [];
  for (let r = 0; r < rounds; r++) {
    const lat = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      await once();
      lat[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
    lat.sort();
    roundsOut.push({ p50_ms: pct(lat, 0.5), p99_ms: pct(lat, 0.99), mean_ms: lat.reduce((s, x) => s + x, 0) / n });
  }
  return {
    bench: 'duckdb-select42',
    n,
    warmup,
    threads: Number(threads),
    rounds: roundsOut,
    p50_ms: Math.min(...roundsOut.map((r) => r.p50_ms)),
    p99_ms: Math.min(...roundsOut.map((r) => r.p99_ms)),
  };
}

const instance = await DuckDBInstance.create(':memory:', { threads });
const conn = await instance.connect();
let result;
if (mode === 'materialise') result = await materialise(conn);
else if (mode === 'select42') result = await select42(conn);
else {
  console.error('usage: duckdb-inprocess.mjs materialise|select42 [options]');
  process.exit(2);
}
conn.closeSync();
const out = arg('out', null);
if (out) writeFileSync(out, JSON.stringify(result) + '\n');
console.log(JSON.stringify(result));
