#!/usr/bin/env bash
# `npm test`: installs what the tests need, builds Skein, runs the TypeScript tests (jest), then
# starts one server and runs the real-client suites against it: Python ADBC + pyarrow, the Go ADBC
# driver, the Java Flight SQL JDBC driver; then the TPC-H differential suite (SF 0.1, every layout,
# 1/2/4 executors; it starts its own servers). Stops everything it started. Exit status: 0 only if
# all suites passed. SKEIN_TEST_ONLY="jest python go java tpch" picks suites.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
only="${SKEIN_TEST_ONLY:-jest python go java tpch}"
work="$root/build/test"
mkdir -p "$work"

step() { printf '\n=== %s ===\n' "$*"; }

step "install and build"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund || exit 1
fi
npm run --silent build || exit 1
bash test/e2e/setup-python.sh || exit 1
bash test/services/install.sh || exit 1

server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null
  fi
}
trap cleanup EXIT INT TERM

passed=0
failed=0
failed_names=""
run_suite() {
  local name="$1"
  shift
  step "$name"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "--- $name passed in $((SECONDS - start)) s"
  else
    failed=$((failed + 1))
    failed_names="$failed_names $name"
    echo "--- $name FAILED after $((SECONDS - start)) s"
  fi
}

want() { [[ " $only " == *" $1 "* ]]; }

if want jest; then
  SKEIN_LOG_LEVEL="${SKEIN_LOG_LEVEL:-warn}" run_suite "jest (unit + in-process server)" npx jest --ci
fi

if want python || want go || want java; then
  step "reference answers (DuckDB) and server"
  export SKEIN_EXPECTED_DIR="$work/expected"
  rm -rf "$SKEIN_EXPECTED_DIR"
  .venv-test/bin/python test/e2e/script/make_expected.py "$SKEIN_EXPECTED_DIR" || exit 1
  export SKEIN_TEST_USER=skein-test
  export SKEIN_TEST_PASSWORD="pw-$RANDOM-$RANDOM"
  # every suite connects from 127.0.0.1 and some fail logins on purpose: a roomy login limit keeps
  # them from locking each other out (limits are tested on private servers: test_login_limit.py)
  printf '{"users": [{"username": "%s", "password": "%s"}], "loginMaxFailures": 1000}\n' \
    "$SKEIN_TEST_USER" "$SKEIN_TEST_PASSWORD" >"$work/config.json"
  node dist/src/cli/main.js serve --host 127.0.0.1 --port 0 --config "$work/config.json" \
    >"$work/server.out" 2>"$work/server.log" &
  server_pid=$!
  port=""
  for _ in $(seq 100); do
    port="$(grep -o 'listening on grpc://127.0.0.1:[0-9]*' "$work/server.out" 2>/dev/null | head -1 | cut -d: -f3)"
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "server did not start:" >&2
    cat "$work/server.out" "$work/server.log" >&2
    exit 1
  fi
  export SKEIN_TEST_URI="grpc://127.0.0.1:$port"
  echo "server at $SKEIN_TEST_URI (log: $work/server.log)"

  want python && run_suite "python (ADBC + pyarrow.flight)" bash test/e2e/python/run.sh
  want go && run_suite "go (ADBC Flight SQL driver)" bash test/e2e/go/run.sh
  want java && run_suite "java (Flight SQL JDBC driver)" bash test/e2e/java/run.sh

  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the shared server died during the tests; its log:" >&2
    tail -n 50 "$work/server.log" >&2
    failed=$((failed + 1))
    failed_names="$failed_names server-alive"
  fi
fi

if want tpch; then
  SKEIN_TPCH_NO_BUILD=1 run_suite "tpch (SF 0.1 differential, 1/2/4 executors)" bash test/tpch/run.sh
fi

echo
[ -n "$failed_names" ] && echo "failed suites:$failed_names"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
