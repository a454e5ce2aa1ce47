#!/usr/bin/env bash
# Installs (idempotently) what the TPC-H tests need: the shared .venv-test (test/e2e/setup-python.sh),
# tpchgen-cli into it, and DuckDB + its tpch extension into .venv-test/skein-tpch-queries (see
# requirements-queries.txt). Prints nothing unless something fails. Only registry packages.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv-test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

fail() {
  echo "tpch/setup.sh: $1" >&2
  cat "$log" >&2
  exit 1
}

bash "$root/test/e2e/setup-python.sh"

# install_pinned REQUIREMENTS STAMP [pip args...]: pip install unless STAMP holds the file's hash
install_pinned() {
  local req="$1" stamp="$2"
  shift 2
  local want have
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  have="$(cat "$stamp" 2>/dev/null || true)"
  if [ "$want" != "$have" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" -r "$req" >"$log" 2>&1 \
      || fail "pip install -r $req failed"
    echo "$want" >"$stamp"
  fi
}

install_pinned "$here/requirements.txt" "$venv/.skein-tpch-requirements.sha256"
queries_dir="$venv/skein-tpch-queries"
if [ "$(cat "$venv/.skein-tpch-queries.sha256" 2>/dev/null || true)" != \
     "$(sha256sum "$here/requirements-queries.txt" | cut -d' ' -f1)" ]; then
  rm -rf "$queries_dir"
fi
install_pinned "$here/requirements-queries.txt" "$venv/.skein-tpch-queries.sha256" --target "$queries_dir"
