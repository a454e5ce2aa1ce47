#!/usr/bin/env bash
# Installs the servers the tests start themselves when the machine lacks them: redis-server from
# Debian's packages (as root, or through sudo), and AWS's Lambda Runtime Interface Emulator built
# from its Go module (test/services/lambda-rie.sh, into build/bin). moto comes with the test
# virtualenv (test/e2e/setup-python.sh). Idempotent; prints nothing when all is there.
set -euo pipefail
if ! command -v redis-server >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q redis-server >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q redis-server >/dev/null; }
  # Debian starts a system-wide instance on 6379; the tests start their own on free ports
  $sudo systemctl disable --now redis-server >/dev/null 2>&1 || $sudo service redis-server stop >/dev/null 2>&1 || true
fi
command -v redis-server >/dev/null
bash "$(dirname "${BASH_SOURCE[0]}")/lambda-rie.sh" >/dev/null
