#!/usr/bin/env bash
# Create (idempotently) the shared test virtualenv at <repo>/.venv-test and install the pinned
# requirements of test/e2e/python/requirements.txt. Prints nothing unless something fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv-test"
req="$here/python/requirements.txt"
stamp="$venv/.skein-requirements.sha256"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

fail() {
  echo "setup-python.sh: $1" >&2
  cat "$log" >&2
  exit 1
}

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >"$log" 2>&1 || fail "could not create $venv"
fi

want="$(sha256sum "$req" | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
if [ "$want" != "$have" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >"$log" 2>&1 \
    || fail "pip install -r $req failed"
  echo "$want" >"$stamp"
fi
