#!/usr/bin/env bash
# Makes development certificates for wsmsg with openssl (nothing is downloaded):
#
#   DIR/ca.pem, ca.key            a development CA (kept and reused on later runs, so adding a
#                                 gateway or a host name signs with the same CA)
#   DIR/server.pem, server.key    the certificate clients see on wss:// and https:// (SANs:
#                                 localhost, 127.0.0.1, ::1, gateway1..N and every --host)
#   DIR/gatewayN.pem, .key        one member certificate per gateway, for cluster.tls.* (the
#                                 event bus checks both ends against ca.pem)
#
#   scripts/gen-certs.sh [--out DIR] [--gateways N] [--host NAME]... [--days D] [--force]
#
# Defaults: --out certs, --gateways 3, --days 825. Existing files are kept unless --force.
# Keys are unencrypted PKCS#8 (EC P-256), readable by their owner only. For production use
# certificates from your own CA; see "TLS" in README.md.
set -euo pipefail

OUT=certs
GATEWAYS=3
DAYS=825
FORCE=false
HOSTS=()
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    --gateways) GATEWAYS=${2:?--gateways needs a number}; shift 2 ;;
    --host) HOSTS+=("${2:?--host needs a name}"); shift 2 ;;
    --days) DAYS=${2:?--days needs a number}; shift 2 ;;
    --force) FORCE=true; shift ;;
    -h|--help) usage 0 ;;
    *) echo "gen-certs.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done
[[ "$GATEWAYS" =~ ^[0-9]+$ ]] || { echo "gen-certs.sh: --gateways must be a number, not $GATEWAYS" >&2; exit 2; }
[[ "$DAYS" =~ ^[1-9][0-9]*$ ]] || { echo "gen-certs.sh: --days must be a positive number, not $DAYS" >&2; exit 2; }
command -v openssl >/dev/null || { echo "gen-certs.sh: openssl is needed (apt-get install openssl)" >&2; exit 1; }

mkdir -p "$OUT"
chmod 700 "$OUT"
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [ "$FORCE" = true ] || [ ! -f "$OUT/ca.pem" ] || [ ! -f "$OUT/ca.key" ]; then
  newkey "$OUT/ca.key"
  openssl req -x509 -new -key "$OUT/ca.key" -sha256 -days 3650 -subj "/CN=wsmsg development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$OUT/ca.pem"
  FORCE=true   # a new CA invalidates every certificate signed by the old one
  echo "made $OUT/ca.pem (development CA)"
fi

# sign NAME CN SAN...: NAME.pem and NAME.key, signed by the CA, usable as TLS server and client.
sign() {
  local name=$1 cn=$2; shift 2
  if [ "$FORCE" != true ] && [ -f "$OUT/$name.pem" ] && [ -f "$OUT/$name.key" ]; then
    echo "kept $OUT/$name.pem"
    return
  fi
  local san="" s
  for s in "$@"; do
    if [[ "$s" =~ ^[0-9.]+$ || "$s" == *:* ]]; then san+="IP:$s,"; else san+="DNS:$s,"; fi
  done
  newkey "$OUT/$name.key"
  openssl req -new -key "$OUT/$name.key" -subj "/CN=$cn" -out "$tmp/$name.csr"
  cat >"$tmp/$name.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=${san%,}
EXT
  openssl x509 -req -in "$tmp/$name.csr" -CA "$OUT/ca.pem" -CAkey "$OUT/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" -sha256 -extfile "$tmp/$name.ext" \
    -out "$OUT/$name.pem" 2>/dev/null
  echo "made $OUT/$name.pem ($cn)"
}

gateways=()
for ((i = 1; i <= GATEWAYS; i++)); do gateways+=("gateway$i"); done
sign server "wsmsg server" localhost 127.0.0.1 ::1 "${gateways[@]}" "${HOSTS[@]}"
for g in "${gateways[@]}"; do sign "$g" "wsmsg member $g" "$g" localhost 127.0.0.1 "${HOSTS[@]}"; done
chmod 644 "$OUT"/*.pem
echo "certificates in $OUT (keys readable by $(id -un) only)"
