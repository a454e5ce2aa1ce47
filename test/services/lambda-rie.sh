#!/usr/bin/env bash
# Builds AWS's Lambda Runtime Interface Emulator (aws-lambda-rie) from its Go module into
# build/bin, once: later runs find the binary and do nothing. Prints the binary's path.
# The Lambda tests use it to run the real Skein handler behind the real Lambda invoke API.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
version="v0.0.0-20261030222936-bef5c4ba774d"
bin_dir="$root/build/bin"
bin="$bin_dir/aws-lambda-rie"
stamp="$bin_dir/aws-lambda-rie.version"

if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "lambda-rie.sh: Go is needed to build aws-lambda-rie" >&2; exit 1; }
mkdir -p "$bin_dir"
# the emulator's module has no go.sum entries for a bare install: -mod=mod lets go resolve them
GOBIN="$bin_dir" GOFLAGS=-mod=mod CGO_ENABLED=0 \
  go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$version" >&2
echo "$version" >"$stamp"
echo "$bin"
