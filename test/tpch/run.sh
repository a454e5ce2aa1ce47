#!/usr/bin/env bash
# TPC-H differential test: generates the data (test/tpch/generate.py, three layouts under
# build/tpch/sf<SF>), the 22 queries (queries.py) and DuckDB's answers on the same files
# (reference.py), then for each executor count starts a Skein server serving the layouts as schemas
# and runs test_tpch.py against it. Stops every server it started. Exit status 0 only if all passed.
#
# Env: SKEIN_TPCH_SF         scale factor (default 0.1; `npm run test:full` uses 1)
#      SKEIN_TPCH_EXECUTORS  executor counts to test (default "1 2 4"); plus one run with 2 executors
#                            and the broadcast limit at 0, so every join on an integer key is
#                            repartitioned (shuffle joins) — SKEIN_TPCH_SHUFFLE=0 leaves it out
#      SKEIN_TPCH_EXECUTOR_MODE  in-process or child-process (default: the server's)
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
executors="${SKEIN_TPCH_EXECUTORS:-1 2 4}"
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
    if executor_mode:
        config["executors"]["mode"] = executor_mode
    if kind == "shuffle":
        config["executors"]["broadcastLimitBytes"] = 0
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
trap stop_server EXIT INT TERM

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
fi

passed=0
failed=0
for run in $runs; do
  step "tpch SF $sf: $run"
  write_config "${run#*-}" "$work/$run.json" "${run%%-*}" || exit 1
  start=$SECONDS
  if start_server "$run" && (cd "$here" && "$py" -m pytest -q test_tpch.py "$@"); then
    passed=$((passed + 1))
    echo "--- $run passed in $((SECONDS - start)) s"
  else
    failed=$((failed + 1))
    echo "--- $run FAILED after $((SECONDS - start)) s"
  fi
  stop_server
done

echo
echo "tpch runs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
