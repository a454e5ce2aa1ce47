#!/usr/bin/env bash
# Makes throwaway TLS material for the TLS tests in OUTDIR (created if missing):
#   ca.pem / ca.key              a test CA
#   server.pem / server.key      server certificate for 127.0.0.1 and localhost, signed by the CA
#   client.pem / client.key      client certificate (CN skein-test-client), signed by the CA
#   rogue-ca.pem, rogue-client.pem / rogue-client.key   a second CA and a client certificate it signed
# Usage: make-certs.sh OUTDIR. Needs the openssl command. Keys are unencrypted: tests only.
set -euo pipefail

out="${1:?usage: make-certs.sh OUTDIR}"
mkdir -p "$out"
cd "$out"

days=2
# runs a command, showing its output only when it fails
quiet() {
  local log
  if ! log="$("$@" 2>&1)"; then
    printf 'make-certs.sh: failed: %s\n%s\n' "$*" "$log" >&2
    exit 1
  fi
}

# ca NAME CN
ca() {
  quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1.key" -out "$1.pem" -days "$days" -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}

# leaf NAME CN CA EXTENSIONS
leaf() {
  quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
  printf '%s\n' "$4" >"$1.ext"
  quiet openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial \
    -out "$1.pem" -days "$days" -extfile "$1.ext"
  rm -f "$1.csr" "$1.ext"
}

ca ca "Skein test CA"
leaf server "127.0.0.1" ca "$(printf '%s\n' \
  'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' \
  'subjectAltName=IP:127.0.0.1,DNS:localhost')"
leaf client "skein-test-client" ca "$(printf '%s\n' \
  'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=clientAuth')"

ca rogue-ca "Skein rogue test CA"
leaf rogue-client "skein-rogue-client" rogue-ca "$(printf '%s\n' \
  'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=clientAuth')"

rm -f ./*.srl
chmod 600 ./*.key
