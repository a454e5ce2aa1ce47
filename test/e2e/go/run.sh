#!/usr/bin/env bash
# Go ADBC Flight SQL driver suite. Needs SKEIN_TEST_URI, SKEIN_TEST_USER, SKEIN_TEST_PASSWORD
# and SKEIN_EXPECTED_DIR (see ../README.md). Prints go test's standard ok/FAIL lines; a failing
# test prints its --- FAIL block with the details.
set -euo pipefail
cd "$(dirname "$0")"

go mod download >/dev/null 2>&1 || go mod download
exec go test -count=1 -timeout 15m ./...
