#!/usr/bin/env bash
# Arrow Flight SQL JDBC driver suite (Maven Surefire, JUnit 5). Needs SKEIN_TEST_URI,
# SKEIN_TEST_USER, SKEIN_TEST_PASSWORD and SKEIN_EXPECTED_DIR (see ../README.md).
# Quiet: prints Surefire's "Tests run:" lines and the build result. On failure it also prints
# each failing test with its full message (from target/surefire-reports). Extra arguments go to
# Maven (e.g. -Dtest=ErrorsTest). Exits non-zero when a test fails.
set -uo pipefail
cd "$(dirname "$0")"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
mvn -B -ntp test "$@" >"$log" 2>&1
status=$?
if [ "$status" -eq 0 ]; then
  grep -E 'Tests run:|BUILD SUCCESS' "$log"
  exit 0
fi

grep -E 'Tests run:|^\[ERROR\] (Failures|Errors):|^\[ERROR\]   |BUILD FAILURE|COMPILATION ERROR|\.java:\[' "$log" || tail -n 60 "$log"
shopt -s nullglob
reports=(target/surefire-reports/*.txt)
if [ "${#reports[@]}" -gt 0 ]; then
  echo
  echo "=== failure details ==="
  for f in "${reports[@]}"; do
    if grep -q '<<< \(FAILURE\|ERROR\)!' "$f"; then
      # Messages without the stack frames, each line cut to a readable width.
      grep -v -E '^\s+at |^\s+\.\.\. [0-9]+ more' "$f" | cut -c1-600
    fi
  done
fi
exit "$status"
