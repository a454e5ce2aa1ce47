#!/usr/bin/env bash
# TPC-H differential test: generates the data (test/tpch/generate.py, three layouts under
# build/tpch/sf<SF>), the 22 queries (queries.py) and DuckDB's answers on the same files
# (reference.py), then for each executor count starts a Skein server serving the layouts as schemas
# and runs test_tpch.py against it. Stops every server it started. Exit status 0 only if all passed.
#
# Env: SKEIN_TPCH_SF         scale factor (default 0.1; `npm run test:full` uses 1)
#      SKEIN_TPCH_EXECUTORS  executor counts to test (default "1 2 4"; "" for none); plus one run with 2 executors
#                            and the broadcast limit at 0, so every join on an integer key is
#                            repartitioned (shuffle joins) — SKEIN_TPCH_SHUFFLE=0 leaves it out
#      SKEIN_TPCH_EXECUTOR_MODE  in-process or child-process (default: the server's)
#      SKEIN_TPCH_LAMBDA     plus one run whose executors are this many Engine Lambda functions (the
#                            real handler under AWS's Runtime Interface Emulator, invoked through the
#                            Lambda API) on the layouts SKEIN_TPCH_LAMBDA_LAYOUTS (default: all three);
#                            default 2 at SF 0.1, else 0 (no such run)
#      SKEIN_TPCH_ICEBERG=0  leaves out the run over Iceberg tables on S3: a moto server holding one
#                            layout (SKEIN_TPCH_ICEBERG_LAYOUT, single (default) or multi) as Iceberg
#                            tables (iceberg_lake.py), served as schema `lake` from a catalog file by a
#                            server with 2 in-process executors, checked against that layout's answers
#      SKEIN_TPCH_MODE       catalog (default): the server's directory catalog and executors serve the
#                            layouts; views: a plain server (no catalog/executor config) with the
#                            layouts created as views over the files through ADBC, run once
#      SKEIN_TPCH_NO_BUILD=1 skip `npm run build` (test/run.sh has built already)
# Extra arguments go to pytest (e.g. -k q18 -x).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
sf="${SKEIN_TPCH_SF:-0.1}"
mode="${SKEIN_TPCH_MODE:-catalog}"
executors="${SKEIN_TPCH_EXECUTORS-1 2 4}"
work="$root/build/tpch"
data="$work/sf$sf"
py="$root/.venv-test/bin/python"

step() { printf '\n=== %s ===\n' "$*"; }

case "$mode" in
  catalog | views) ;;
  *) echo "SKEIN_TPCH_MODE must be catalog or views, got '$mode'" >&2; exit 2 ;;
esac

step "tpch: setup, data (SF $sf), queries, reference answers"
bash "$here/setup.sh" || exit 1
if [ -z "${SKEIN_TPCH_NO_BUILD:-}" ]; then
  npm run --silent build || exit 1
fi
"$py" "$here/generate.py" --sf "$sf" --out "$data" || exit 1
PYTHONPATH="$root/.venv-test/skein-tpch-queries" "$py" "$here/queries.py" "$work/queries" || exit 1
answers=()
[ -d "$work/queries/answers/sf$sf" ] && answers=(--answers "$work/queries/answers/sf$sf")
(cd "$here" && "$py" -m pytest -q test_compare.py) || exit 1
start=$SECONDS
"$py" "$here/reference.py" --data "$data" --queries "$work/queries" --out "$work/reference/sf$sf" "${answers[@]}" \
  || exit 1
echo "reference answers in $((SECONDS - start)) s"

user=skein-tpch
password="pw-$RANDOM-$RANDOM-$RANDOM"

# The one place that knows how a server is told to serve the TPC-H root: $1 = executor count,
# $2 = the config file to write, $3 = "shuffle" to repartition every join it can.
write_config() {
  "$py" - "$mode" "$data" "$1" "$user" "$password" "${SKEIN_TPCH_EXECUTOR_MODE:-}" "${3:-}" >"$2" <<'PY'
import json, sys
mode, data, executors, user, password, executor_mode, kind = sys.argv[1:]
config = {"users": [{"username": user, "password": password}], "loginMaxFailures": 1000}
if mode == "catalog":
    config["catalog"] = {"root": data}
    config["executors"] = {"count": int(executors)}
    # SF 0.1 is small enough for every statement to run whole on one executor: with one executor
    # that path is checked, with more the statements are cut up as larger data would be
    if int(executors) > 1:
        config["executors"]["smallStatementBytes"] = 0
    if executor_mode:
        config["executors"]["mode"] = executor_mode
    if kind == "shuffle":
        config["executors"]["broadcastLimitBytes"] = 0
    if kind == "iceberg":
        import os
        endpoint = os.environ["SKEIN_TPCH_S3_ENDPOINT"]
        config["catalog"] = {"file": os.environ["SKEIN_TPCH_ICEBERG_CATALOG"]}
        config["executors"] = {"count": int(executors), "mode": "in-process"}
        config["store"] = {"s3": {"endpoint": endpoint, "region": "us-east-1", "forcePathStyle": True,
                                  "accessKeyId": "skein-tpch", "secretAccessKey": "skein-tpch"}}
    if kind == "lambda":
        import os
        config["executors"] = {
            "mode": "lambda", "count": int(executors), "slots": 1,
            "secret": os.environ["SKEIN_TPCH_LAMBDA_SECRET"],
            "scratchDirectory": os.environ["SKEIN_TPCH_LAMBDA_SCRATCH"],
            "lambda": {
                "functionName": "function",
                "endpoints": os.environ["SKEIN_TPCH_LAMBDA_ENDPOINTS"].split(),
                "concurrency": int(executors), "endpointConcurrency": 1,
                "resultPrefix": os.environ["SKEIN_TPCH_LAMBDA_RESULTS"],
            },
        }
else:
    config["sandbox"] = {"allowedDirectories": [data]}
print(json.dumps(config, indent=2))
PY
}

server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null
  fi
  server_pid=""
}

# Lambda runs: each Engine function is the real handler (scripts/lambda/bootstrap → dist/) under its own
# aws-lambda-rie (test/services/lambda-rie.sh builds it once), which runs one invocation at a time.
lambda_pids=()
stop_lambdas() {
  local p
  for p in "${lambda_pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
  for p in "${lambda_pids[@]}"; do
    for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$p" 2>/dev/null
  done
  lambda_pids=()
}
free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# start_lambdas N: starts N functions, exports what write_config needs
start_lambdas() {
  local rie i port api endpoints="" secret="tpch-lambda-$RANDOM-$RANDOM-$RANDOM"
  rie="$(bash "$root/test/services/lambda-rie.sh")" || return 1
  rm -rf "$work/lambda-results" "$work/lambda-scratch"
  mkdir -p "$work/lambda-results" "$work/lambda-scratch"
  for i in $(seq "$1"); do
    port="$(free_port)" api="$(free_port)"
    setsid env LAMBDA_TASK_ROOT="$root" SKEIN_LAMBDA_HANDLER=engine SKEIN_EXECUTOR_SECRET="$secret" \
      SKEIN_EXECUTOR_THREADS=1 SKEIN_ALLOWED_DIRECTORIES="$data:$work/lambda-scratch" \
      SKEIN_LAMBDA_RESULT_PREFIX="$work/lambda-results/" SKEIN_LAMBDA_CACHE_DIR="$work/lambda-cache-$i" \
      AWS_LAMBDA_FUNCTION_TIMEOUT=300 SKEIN_LOG_LEVEL=warn \
      "$rie" --runtime-interface-emulator-address "127.0.0.1:$port" --runtime-api-address "127.0.0.1:$api" \
      --log-level error "$root/scripts/lambda/bootstrap" >"$work/lambda-$i.log" 2>&1 &
    lambda_pids+=("$!")
    endpoints="$endpoints http://127.0.0.1:$port"
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  done
  # the coordinator signs with the functions' secret and calls them with dummy credentials
  export SKEIN_TPCH_LAMBDA_SECRET="$secret" SKEIN_TPCH_LAMBDA_ENDPOINTS="$endpoints"
  export SKEIN_TPCH_LAMBDA_RESULTS="$work/lambda-results/" SKEIN_TPCH_LAMBDA_SCRATCH="$work/lambda-scratch"
  export AWS_ACCESS_KEY_ID=skein-tpch AWS_SECRET_ACCESS_KEY=skein-tpch
  echo "lambda functions at$endpoints (logs: $work/lambda-*.log)"
}
# Iceberg run: a moto server (S3) on a free port, the lake written into it by iceberg_lake.py
moto_pid=""
stop_moto() {
  if [ -n "$moto_pid" ]; then
    kill "$moto_pid" 2>/dev/null
    for _ in $(seq 30); do kill -0 "$moto_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$moto_pid" 2>/dev/null
  fi
  moto_pid=""
}
start_iceberg_lake() {
  local port layout="${SKEIN_TPCH_ICEBERG_LAYOUT:-single}" lake="$work/iceberg-s3"
  port="$(free_port)"
  "$root/.venv-test/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
  moto_pid=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  rm -rf "$lake"
  mkdir -p "$lake"
  export SKEIN_TPCH_S3_ENDPOINT="http://127.0.0.1:$port" SKEIN_TPCH_ICEBERG_CATALOG="$lake/catalog.json"
  (cd "$here" && "$py" iceberg_lake.py --data "$data" --layout "$layout" --endpoint "$SKEIN_TPCH_S3_ENDPOINT" \
    --bucket tpch --work "$lake" --access-key skein-tpch --secret-key skein-tpch) >"$lake/catalog.json" || return 1
}
trap 'stop_server; stop_lambdas; stop_moto' EXIT INT TERM

# start_server NAME: starts Skein with $work/NAME.json, sets SKEIN_TPCH_URI
start_server() {
  local out="$work/server-$1.out" log="$work/server-$1.log" port=""
  node dist/src/cli/main.js serve --host 127.0.0.1 --port 0 --config "$work/$1.json" >"$out" 2>"$log" &
  server_pid=$!
  for _ in $(seq 200); do
    port="$(grep -o 'listening on grpc://127.0.0.1:[0-9]*' "$out" 2>/dev/null | head -1 | cut -d: -f3)"
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "server ($1) did not start:" >&2
    cat "$out" "$log" >&2
    return 1
  fi
  export SKEIN_TPCH_URI="grpc://127.0.0.1:$port"
  echo "server ($1) at $SKEIN_TPCH_URI (log: $log)"
}

export SKEIN_TPCH_USER="$user" SKEIN_TPCH_PASSWORD="$password"
export SKEIN_TPCH_QUERIES="$work/queries" SKEIN_TPCH_REFERENCE="$work/reference/sf$sf"
if [ "$mode" = views ]; then
  runs="views"
  export SKEIN_TPCH_CREATE_VIEWS="$data"
else
  runs=""
  for n in $executors; do runs="$runs executors-$n"; done
  [ "${SKEIN_TPCH_SHUFFLE:-1}" != 0 ] && runs="$runs shuffle-2"
  lambdas="${SKEIN_TPCH_LAMBDA:-$([ "$sf" = 0.1 ] && echo 2 || echo 0)}"
  [ "$lambdas" != 0 ] && runs="$runs lambda-$lambdas"
  [ "${SKEIN_TPCH_ICEBERG:-1}" != 0 ] && runs="$runs iceberg-s3"
fi

passed=0
failed=0
for run in $runs; do
  step "tpch SF $sf: $run"
  layouts=()
  if [ "${run%%-*}" = lambda ]; then
    start_lambdas "${run#*-}" || exit 1
    layouts=(SKEIN_TPCH_LAYOUTS="${SKEIN_TPCH_LAMBDA_LAYOUTS:-single multi partitioned}")
  fi
  count="${run#*-}"
  if [ "$run" = iceberg-s3 ]; then
    count=2
    start_iceberg_lake || exit 1
    layouts=(SKEIN_TPCH_LAYOUTS="lake=${SKEIN_TPCH_ICEBERG_LAYOUT:-single}" SKEIN_TPCH_CACHE_CHECK=lake)
  fi
  write_config "$count" "$work/$run.json" "${run%%-*}" || exit 1
  start=$SECONDS
  if start_server "$run" && (cd "$here" && env "${layouts[@]}" "$py" -m pytest -q test_tpch.py "$@"); then
    passed=$((passed + 1))
    echo "--- $run passed in $((SECONDS - start)) s"
  else
    failed=$((failed + 1))
    echo "--- $run FAILED after $((SECONDS - start)) s"
  fi
  stop_server
  stop_lambdas
  stop_moto
done

echo
echo "tpch runs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
