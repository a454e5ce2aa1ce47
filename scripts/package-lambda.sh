#!/usr/bin/env bash
# Builds the Lambda deployment bundle build/lambda.zip (or $1) from this checkout, downloading nothing:
#   bootstrap        the custom runtime entry (provided.al2023): starts dist/src/executors/lambda/runtime.js
#   dist/, proto/    compiled Skein and the Flight protos it loads
#   node_modules/    production dependencies only (from package-lock.json), incl. DuckDB's native
#                    binary for Linux x64 (@duckdb/node-bindings-linux-x64)
#   package.json
# Deploy it as one function per handler, environment SKEIN_LAMBDA_HANDLER=engine|catalog (see README):
# on provided.al2023 with Node.js from a layer (/opt/bin/node; --node-layer writes one from this
# machine's node), or on the nodejs20.x runtime with Handler dist/src/executors/lambda/index.engine.
# Env: SKEIN_PACKAGE_NO_BUILD=1 uses dist/ as it is (skips `npm run build`).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/build/lambda.zip"
node_layer=""
for arg in "$@"; do
  case "$arg" in
    --node-layer) node_layer=1 ;;
    -*) echo "package-lambda.sh: unknown option $arg" >&2; exit 2 ;;
    *) out="$(cd "$(dirname "$arg")" && pwd)/$(basename "$arg")" ;;
  esac
done
cd "$root"
if [ -z "${SKEIN_PACKAGE_NO_BUILD:-}" ]; then npm run --silent build; fi
[ -f dist/src/executors/lambda/runtime.js ] || { echo "package-lambda.sh: dist/ has no Lambda runtime (npm run build)" >&2; exit 1; }
[ -f node_modules/@duckdb/node-bindings-linux-x64/package.json ] \
  || { echo "package-lambda.sh: node_modules has no @duckdb/node-bindings-linux-x64 (npm ci on Linux x64)" >&2; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp package.json "$stage/"
cp -R dist proto "$stage/"
install -m 0755 scripts/lambda/bootstrap "$stage/bootstrap"
# the production closure as npm resolved it: every installed package-lock entry not marked dev
node -e '
  const lock = require(process.argv[1]);
  for (const [path, p] of Object.entries(lock.packages)) {
    if (path.startsWith("node_modules/") && !p.dev) console.log(path);
  }' "$root/package-lock.json" | while read -r dep; do
  [ -d "$dep" ] || continue # an optional package for another platform
  mkdir -p "$stage/$(dirname "$dep")"
  cp -R "$dep" "$stage/$dep"
done
# nothing Lambda runs: type declarations, sources, maps and docs of dependencies
find "$stage/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' -o -name '*.ts' \) -delete

# zip_dir DIR OUT: with zip(1) when installed, else Python's zipfile (file modes kept either way)
zip_dir() {
  rm -f "$2"
  if command -v zip >/dev/null; then
    (cd "$1" && zip -q -r -X "$2" .)
  else
    python3 - "$1" "$2" <<'PY'
import os, sys, zipfile
src, out = sys.argv[1:]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for base, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(base, name)
            z.write(path, os.path.relpath(path, src))
PY
  fi
}

mkdir -p "$(dirname "$out")"
zip_dir "$stage" "$out.tmp"
mv "$out.tmp" "$out"
echo "$out ($(du -h "$out" | cut -f1))"

if [ -n "$node_layer" ]; then
  layer="$(dirname "$out")/lambda-node-layer.zip"
  mkdir -p "$stage/layer/bin"
  cp "$(command -v node)" "$stage/layer/bin/node"
  zip_dir "$stage/layer" "$layer"
  echo "$layer ($(du -h "$layer" | cut -f1)): Node.js $(node --version) as /opt/bin/node"
fi
