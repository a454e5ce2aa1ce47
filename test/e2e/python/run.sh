#!/usr/bin/env bash
# Run the Python (ADBC + pyarrow.flight) end-to-end suite against a running Skein server.
# Env: SKEIN_TEST_URI, SKEIN_TEST_USER, SKEIN_TEST_PASSWORD, SKEIN_EXPECTED_DIR (see ../README.md).
# If SKEIN_EXPECTED_DIR is unset, or holds no reference answers yet, they are generated first.
# Extra arguments go to pytest. Exit code is pytest's.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

bash "$here/../setup-python.sh"
py="$root/.venv-test/bin/python"

if [ -z "${SKEIN_EXPECTED_DIR:-}" ]; then
  SKEIN_EXPECTED_DIR="$(mktemp -d)"
  export SKEIN_EXPECTED_DIR
  trap 'rm -rf "$SKEIN_EXPECTED_DIR"' EXIT
fi
if ! ls "$SKEIN_EXPECTED_DIR"/*.arrows >/dev/null 2>&1; then
  "$py" "$here/../script/make_expected.py" "$SKEIN_EXPECTED_DIR"
fi

cd "$here"
set +e
"$py" -m pytest -q "$@"
rc=$?
set -e
exit $rc
