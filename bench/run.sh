#!/usr/bin/env bash
# Skein benchmarks. Usage: bash bench/run.sh doget|latency|ingest|tpch|fanout|cost|all   (npm run bench -- <name>)
# (`all` leaves out tpch, fanout and cost: they need the TPC-H setup, ~1 GB of SF 1 data and several minutes.)
#
# Builds nothing: run `npm run build` first. Starts the servers it needs (Skein, the raw grpc-js
# ceiling, the pyarrow.flight peer), runs the clients, prints figures and ratios, and stops every
# process it started (trap on EXIT).
#
# Environment:
#   BENCH_ROUNDS   timed rounds per measurement, best counts (default 3; one warm-up before)
#   BENCH_ROWS     rows of the doget table (default 10000000)
#   BENCH_N        latency: timed queries per round (default 2000); BENCH_WARMUP (default 200)
#   BENCH_INGEST_ROWS  rows of the ingest table (default 5000000)
#   BENCH_PYTHON   Python with pyarrow, duckdb, adbc-driver-flightsql (default .venv-test/bin/python)
#   BENCH_TPCH_SF  tpch: scale factor (default 1; the targets are for SF 1)
#   BENCH_TPCH_ONLY  tpch: query numbers for G2, e.g. "1 9 18" (default all 22)
#   BENCH_TPCH_SLOW  tpch: a G2 query whose warm-up takes longer (s) is timed once (default 10)
#   BENCH_FANOUT_NS    fanout: executor counts (default "1 2 4 8 16")
#   BENCH_FANOUT_RATE  fanout: each executor's object-store read cap, bytes/s (default 100000000)
#   BENCH_FANOUT_QUERY fanout: TPC-H query number over lineitem (default 06)
#   BENCH_FANOUT_COPIES, BENCH_FANOUT_FILES  fanout: copies of SF 1 lineitem and files (default 3, 48: 623 MB)
#   BENCH_COST_*       cost: pricing assumptions, see bench/README.md (cost_bench.py --help)
#   BENCH_STRICT=1 exit 1 when a target is missed
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
DATA="$BENCH/.data"
RESULTS="$DATA/results"
LOGS="$DATA/logs"
PY="${BENCH_PYTHON:-$ROOT/.venv-test/bin/python}"
ROUNDS="${BENCH_ROUNDS:-3}"
ROWS="${BENCH_ROWS:-10000000}"
LAT_N="${BENCH_N:-2000}"
LAT_WARMUP="${BENCH_WARMUP:-200}"
SKEIN_MAIN="${BENCH_SKEIN_MAIN:-$ROOT/dist/src/cli/main.js}"
BENCH_USER="bench"
BENCH_PASSWORD="bench-password"

NAME="${1:-}"
case "$NAME" in
  doget | latency | ingest | tpch | fanout | cost | all) ;;
  *)
    echo "usage: npm run bench -- doget|latency|ingest|tpch|fanout|cost|all   (or: bash bench/run.sh <same>)" >&2
    exit 2
    ;;
esac

if [[ ! -f "$SKEIN_MAIN" ]]; then
  echo "bench: $SKEIN_MAIN is missing. Build Skein first: npm run build" >&2
  exit 1
fi

if [[ ! -x "$PY" ]]; then
  if [[ -z "${BENCH_PYTHON:-}" && -f "$ROOT/test/e2e/setup-python.sh" ]]; then
    echo "bench: $PY is missing; creating it with test/e2e/setup-python.sh" >&2
    bash "$ROOT/test/e2e/setup-python.sh"
  fi
  if [[ ! -x "$PY" ]]; then
    echo "bench: no Python at $PY (needs pyarrow, duckdb, adbc-driver-flightsql); set BENCH_PYTHON" >&2
    exit 1
  fi
fi
if ! "$PY" -c 'import pyarrow.flight, duckdb, adbc_driver_flightsql.dbapi' 2>/dev/null; then
  echo "bench: $PY lacks pyarrow.flight, duckdb or adbc_driver_flightsql" >&2
  exit 1
fi

mkdir -p "$RESULTS" "$LOGS"
CONFIG="$DATA/bench-config.json"
printf '{"users": [{"username": "%s", "password": "%s"}]}\n' "$BENCH_USER" "$BENCH_PASSWORD" >"$CONFIG"

# ---- process bookkeeping: every background process we start goes into PIDS ----
PIDS=()

stop_pid() {
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

stop_all() {
  local pid
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    stop_pid "$pid"
  done
  PIDS=()
}

trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server NAME CMD... : start CMD in the background, wait for `listening on grpc://HOST:PORT`
# on its stdout, and set SERVER_URI.
SERVER_URI=""
start_server() {
  local name="$1"
  shift
  local out="$LOGS/$name.out" err="$LOGS/$name.err"
  : >"$out"
  : >"$err"
  "$@" >"$out" 2>"$err" &
  local pid=$!
  PIDS+=("$pid")
  local line=""
  for _ in $(seq 1 1200); do # up to 120 s
    line="$(grep -oE 'listening on grpc://127\.0\.0\.1:[0-9]+' "$out" | head -n 1 || true)"
    [[ -n "$line" ]] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "bench: $name exited before it was ready; its output:" >&2
      tail -n 40 "$out" "$err" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
  if [[ -z "$line" ]]; then
    echo "bench: $name did not print 'listening on grpc://127.0.0.1:PORT' within 120 s" >&2
    tail -n 40 "$out" "$err" >&2 || true
    exit 1
  fi
  SERVER_URI="${line#listening on }"
  echo "  started $name (pid $pid) at $SERVER_URI" >&2
}

start_skein() {
  start_server skein node "$SKEIN_MAIN" serve --host 127.0.0.1 --port 0 --config "$CONFIG"
}

run_doget() {
  echo "== doget: $ROWS rows, best of $ROUNDS after 1 warm-up ==" >&2
  rm -f "$RESULTS"/doget-*.json "$RESULTS"/summary-doget.json

  # In-process baseline first, while no server holds memory.
  echo "  DuckDB in-process materialise ..." >&2
  node "$BENCH/duckdb-inprocess.mjs" materialise --rows "$ROWS" --rounds "$ROUNDS" \
    --out "$RESULTS/doget-duckdb.json" >/dev/null

  start_skein
  local skein_uri="$SERVER_URI"
  start_server raw-grpc-server node "$BENCH/raw-grpc-server.mjs" --host 127.0.0.1 --port 0 --rows "$ROWS"
  local raw_uri="$SERVER_URI"
  start_server pyarrow-flight-peer "$PY" "$BENCH/pyarrow_flight_peer.py" --host 127.0.0.1 --port 0 --rows "$ROWS"
  local peer_uri="$SERVER_URI"

  echo "  Python clients (ADBC, pyarrow.flight) ..." >&2
  (cd "$BENCH" && "$PY" doget_clients.py --skein-uri "$skein_uri" --user "$BENCH_USER" --password "$BENCH_PASSWORD" \
    --raw-uri "$raw_uri" --peer-uri "$peer_uri" --rows "$ROWS" --rounds "$ROUNDS" --create \
    --out "$RESULTS/doget-python.json" >/dev/null)

  echo "  grpc-js client ..." >&2
  local arrow_bytes
  arrow_bytes="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["paths"]["raw_flight"]["nbytes"])' \
    "$RESULTS/doget-python.json")"
  node "$BENCH/grpc-js-client.mjs" --uri "$raw_uri" --rounds "$ROUNDS" --arrow-bytes "$arrow_bytes" \
    --out "$RESULTS/doget-grpcjs-default.json" >/dev/null
  node "$BENCH/grpc-js-client.mjs" --uri "$raw_uri" --rounds "$ROUNDS" --arrow-bytes "$arrow_bytes" \
    --window 4194304 --out "$RESULTS/doget-grpcjs-window.json" >/dev/null

  stop_all
  echo >&2
  "$PY" "$BENCH/report.py" doget "$RESULTS" || STATUS=1
}

run_latency() {
  echo "== latency: SELECT 42, $LAT_N per round after $LAT_WARMUP warm-ups, $ROUNDS rounds ==" >&2
  rm -f "$RESULTS"/latency-*.json "$RESULTS"/summary-latency.json

  echo "  DuckDB in-process SELECT 42 ..." >&2
  node "$BENCH/duckdb-inprocess.mjs" select42 --n "$LAT_N" --warmup "$LAT_WARMUP" --rounds "$ROUNDS" \
    --out "$RESULTS/latency-duckdb.json" >/dev/null

  start_skein
  local skein_uri="$SERVER_URI"
  start_server raw-grpc-server-1row node "$BENCH/raw-grpc-server.mjs" --host 127.0.0.1 --port 0 --rows 1
  local floor_uri="$SERVER_URI"

  echo "  Skein: ADBC, ADBC new cursor, pyarrow.flight ..." >&2
  (cd "$BENCH" && "$PY" latency_clients.py --uri "$skein_uri" --user "$BENCH_USER" --password "$BENCH_PASSWORD" \
    --n "$LAT_N" --warmup "$LAT_WARMUP" --rounds "$ROUNDS" --paths adbc,adbc_new_cursor,flight \
    --out "$RESULTS/latency-skein.json" >/dev/null)
  echo "  floor (raw grpc-js 1-row server): ADBC, pyarrow.flight ..." >&2
  (cd "$BENCH" && "$PY" latency_clients.py --uri "$floor_uri" --no-check \
    --n "$LAT_N" --warmup "$LAT_WARMUP" --rounds "$ROUNDS" --paths adbc,flight \
    --out "$RESULTS/latency-floor.json" >/dev/null)

  stop_all
  echo >&2
  "$PY" "$BENCH/report.py" latency "$RESULTS" || STATUS=1
}

run_ingest() {
  local rows="${BENCH_INGEST_ROWS:-5000000}"
  echo "== ingest: $rows rows through ADBC adbc_ingest vs DuckDB reading the Arrow table in-process ==" >&2
  rm -f "$RESULTS"/ingest-*.json
  start_skein
  (cd "$BENCH" && "$PY" ingest_clients.py --skein-uri "$SERVER_URI" --user "$BENCH_USER" --password "$BENCH_PASSWORD" \
    --rows "$rows" --rounds "$ROUNDS" --out "$RESULTS/ingest-python.json" >/dev/null)
  stop_all
}

# tpch (G2, G3, G4, G7): TPC-H data and queries from test/tpch (cached under build/tpch), three Skein
# servers over its directory catalog (2 child-process executors, 2 in-process executors, none), all
# measured by one tpch_bench.py run against Python DuckDB on the same files.
run_tpch() {
  local sf="${BENCH_TPCH_SF:-1}" work="$ROOT/build/tpch"
  local data="$work/sf$sf"
  echo "== tpch: SF $sf, best of $ROUNDS after 1 warm-up ==" >&2
  tpch_setup "$sf"
  rm -f "$RESULTS/tpch.json"

  local mode uris=()
  for mode in child inproc single; do
    local executors='"executors": {"count": 2, "threads": 1, "mode": "child-process"}'
    [[ "$mode" == inproc ]] && executors='"executors": {"count": 2, "threads": 1, "mode": "in-process"}'
    [[ "$mode" == single ]] && executors='"executors": {"count": 0}, "duckdb": {"threads": 2}'
    printf '{"users": [{"username": "%s", "password": "%s"}], "catalog": {"root": "%s"}, %s}\n' \
      "$BENCH_USER" "$BENCH_PASSWORD" "$data" "$executors" >"$DATA/tpch-$mode.json"
    start_server "skein-tpch-$mode" node "$SKEIN_MAIN" serve --host 127.0.0.1 --port 0 --config "$DATA/tpch-$mode.json"
    uris+=("--$mode" "$SERVER_URI")
  done

  local strict=()
  [[ "${BENCH_STRICT:-}" == 1 ]] && strict=(--strict)
  "$PY" "$BENCH/tpch_bench.py" --data "$data" --queries "$work/queries" "${uris[@]}" \
    --user "$BENCH_USER" --password "$BENCH_PASSWORD" --rounds "$ROUNDS" --only "${BENCH_TPCH_ONLY:-}" \
    --slow "${BENCH_TPCH_SLOW:-10}" \
    --out "$RESULTS/tpch.json" "${strict[@]+"${strict[@]}"}" || STATUS=1
  stop_all
}

# The TPC-H data and queries of test/tpch (cached under build/tpch): SF $1.
tpch_setup() {
  local work="$ROOT/build/tpch"
  bash "$ROOT/test/tpch/setup.sh"
  "$PY" "$ROOT/test/tpch/generate.py" --sf "$1" --out "$work/sf$1" >&2
  PYTHONPATH="$ROOT/.venv-test/skein-tpch-queries" "$PY" "$ROOT/test/tpch/queries.py" "$work/queries" >&2
}

# Stops the most recently started background process and forgets it.
stop_last() {
  local last=$((${#PIDS[@]} - 1))
  stop_pid "${PIDS[$last]}"
  unset "PIDS[$last]"
  PIDS=("${PIDS[@]+"${PIDS[@]}"}")
}

# moto (the venv's moto_server) on a free loopback port; sets MOTO_URL and MOTO_PID.
MOTO_URL=""
MOTO_PID=""
start_moto() {
  local port
  port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  "$ROOT/.venv-test/bin/moto_server" -H 127.0.0.1 -p "$port" >"$LOGS/moto.out" 2>"$LOGS/moto.err" &
  MOTO_PID=$!
  PIDS+=("$MOTO_PID")
  MOTO_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 300); do
    "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1)' "$MOTO_URL" \
      2>/dev/null && { echo "  started moto (pid $MOTO_PID) at $MOTO_URL" >&2; return 0; }
    kill -0 "$MOTO_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench: moto_server did not start; its output:" >&2
  tail -n 40 "$LOGS/moto.err" >&2 || true
  exit 1
}

# fanout (issue 7): TPC-H lineitem ×3 (623 MB, 48 files) on moto S3; per N one Skein server with N
# child-process executors throttled to BENCH_FANOUT_RATE, and one unthrottled, each measured by
# fanout_bench.py run; then one report.
run_fanout() {
  local copies="${BENCH_FANOUT_COPIES:-3}" files="${BENCH_FANOUT_FILES:-48}"
  local work="$ROOT/build/tpch" fan="$ROOT/build/fanout/lineitem-x$copies-$files"
  local rate="${BENCH_FANOUT_RATE:-100000000}" ns="${BENCH_FANOUT_NS:-1 2 4 8 16}"
  local query="$work/queries/q${BENCH_FANOUT_QUERY:-06}.sql"
  echo "== fanout: $(basename "$query") at $((rate / 1000000)) MB/s per executor, N = $ns ==" >&2
  tpch_setup 1
  "$PY" "$BENCH/fanout_bench.py" data --src "$work/sf1/multi/lineitem" --out "$fan" --copies "$copies" --files "$files"
  start_moto
  export FANOUT_S3_KEY=bench FANOUT_S3_SECRET=bench-secret
  "$PY" "$BENCH/fanout_bench.py" upload --endpoint "$MOTO_URL" --bucket fanout --data "$fan"
  rm -f "$RESULTS"/fanout-*.json "$RESULTS/summary-fanout.json"
  echo "  machine S3 ceiling (s3-ceiling.mjs) ..." >&2
  node "$BENCH/s3-ceiling.mjs" --prefix s3://fanout/lake/tpch/lineitem/ --endpoint "$MOTO_URL" \
    --key "$FANOUT_S3_KEY" --secret "$FANOUT_S3_SECRET" --concurrency 16 >"$RESULTS/s3-ceiling-fanout.json" 2>"$LOGS/s3-ceiling.err"
  local n mode
  for n in $ns; do
    for mode in throttled free; do
      local throttle=""
      [[ "$mode" == throttled ]] && throttle=", \"readBytesPerSecond\": $rate"
      # cache.maxBytes 1 MiB: every cached file is evicted once its fragment ends, so each run reads S3
      printf '{"users": [{"username": "%s", "password": "%s"}], "catalog": {"root": "s3://fanout/lake", "refreshSeconds": 600}, "executors": {"count": %s, "threads": 1, "mode": "child-process"}, "store": {"s3": {"endpoint": "%s", "region": "us-east-1", "forcePathStyle": true, "accessKeyId": "%s", "secretAccessKey": "%s"}, "cache": {"maxBytes": 1048576}%s}}\n' \
        "$BENCH_USER" "$BENCH_PASSWORD" "$n" "$MOTO_URL" "$FANOUT_S3_KEY" "$FANOUT_S3_SECRET" "$throttle" >"$DATA/fanout-$n-$mode.json"
      start_server "skein-fanout-$n-$mode" node "$SKEIN_MAIN" serve --host 127.0.0.1 --port 0 --config "$DATA/fanout-$n-$mode.json"
      "$PY" "$BENCH/fanout_bench.py" run --uri "$SERVER_URI" --user "$BENCH_USER" --password "$BENCH_PASSWORD" \
        --query "$query" --n "$n" --mode "$mode" --rate "$rate" --rounds "$ROUNDS" \
        --server-pid "${PIDS[$((${#PIDS[@]} - 1))]}" --moto-pid "$MOTO_PID" --out "$RESULTS/fanout-$n-$mode.json"
      stop_last
    done
  done
  local strict=()
  [[ "${BENCH_STRICT:-}" == 1 ]] && strict=(--strict)
  "$PY" "$BENCH/fanout_bench.py" report --results "$RESULTS" --data "$fan" --query "$query" --rate "$rate" \
    --rounds "$ROUNDS" --ceiling "$RESULTS/s3-ceiling-fanout.json" "${strict[@]+"${strict[@]}"}" || STATUS=1
  stop_all
}

# cost (issue 7): TPC-H SF 1 through 2 child-process executors (threads=1), EXPLAIN ANALYZE per query with
# the executors' CPU-seconds from /proc, extrapolated to SF 1000 and priced as Lambda (cost_bench.py).
run_cost() {
  local sf="${BENCH_TPCH_SF:-1}" work="$ROOT/build/tpch"
  echo "== cost: TPC-H SF $sf measured, priced at SF 1000 on Lambda ==" >&2
  tpch_setup "$sf"
  printf '{"users": [{"username": "%s", "password": "%s"}], "catalog": {"root": "%s"}, "executors": {"count": 2, "threads": 1, "mode": "child-process"}}\n' \
    "$BENCH_USER" "$BENCH_PASSWORD" "$work/sf$sf" >"$DATA/cost.json"
  start_server skein-cost node "$SKEIN_MAIN" serve --host 127.0.0.1 --port 0 --config "$DATA/cost.json"
  "$PY" "$BENCH/cost_bench.py" --uri "$SERVER_URI" --user "$BENCH_USER" --password "$BENCH_PASSWORD" \
    --queries "$work/queries" --sf "$sf" --only "${BENCH_TPCH_ONLY:-}" --server-pid "${PIDS[$((${#PIDS[@]} - 1))]}" \
    --out "$RESULTS/summary-cost.json"
  stop_all
}

# STATUS becomes 1 only when BENCH_STRICT=1 and a target is missed; any other failure aborts (set -e).
STATUS=0
case "$NAME" in
  doget) run_doget ;;
  latency) run_latency ;;
  ingest) run_ingest ;;
  tpch) run_tpch ;;
  fanout) run_fanout ;;
  cost) run_cost ;;
  all)
    run_doget
    echo
    run_latency
    echo
    run_ingest
    ;;
esac
exit "$STATUS"
