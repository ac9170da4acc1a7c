#!/usr/bin/env bash
# Makes development certificates for wsmsg with openssl (nothing is downloaded):
#
#   DIR/ca.pem, ca.key            a development CA for what clients see (kept and reused on
#                                 later runs, so adding a host name signs with the same CA)
#   DIR/server.pem, server.key    the certificate clients see on wss:// and https:// (SANs:
#                                 localhost, 127.0.0.1, ::1, gateway1..N and every --host),
#                                 signed by ca.pem; clients trust ca.pem (--ca, WSMSG_CA)
#   DIR/cluster-ca.pem, .key      a second CA that signs member certificates only: whoever holds
#                                 a certificate from it is a member, so it signs nothing else
#   DIR/gatewayN.pem, .key        one member certificate per gateway, for cluster.tls.* (the
#                                 event bus checks both ends against cluster-ca.pem)
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
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
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

# newca NAME CN: a CA (NAME.pem, NAME.key) unless it exists; returns 0 when it made one.
newca() {
  if [ "$FORCE" != true ] && [ -f "$OUT/$1.pem" ] && [ -f "$OUT/$1.key" ]; then return 1; fi
  newkey "$OUT/$1.key"
  openssl req -x509 -new -key "$OUT/$1.key" -sha256 -days 3650 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$OUT/$1.pem"
  echo "made $OUT/$1.pem ($2)"
}

# A new CA invalidates every certificate signed by the old one: re-sign those.
FORCE_SERVER=$FORCE
FORCE_MEMBERS=$FORCE
if newca ca "wsmsg development CA"; then FORCE_SERVER=true; fi
if newca cluster-ca "wsmsg development cluster CA (members only)"; then FORCE_MEMBERS=true; fi

# sign CA FORCE NAME CN SAN...: NAME.pem and NAME.key, signed by CA, usable as TLS server and client.
sign() {
  local ca=$1 force=$2 name=$3 cn=$4; shift 4
  if [ "$force" != true ] && [ -f "$OUT/$name.pem" ] && [ -f "$OUT/$name.key" ]; then
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
  openssl x509 -req -in "$tmp/$name.csr" -CA "$OUT/$ca.pem" -CAkey "$OUT/$ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" -sha256 -extfile "$tmp/$name.ext" \
    -out "$OUT/$name.pem" 2>/dev/null
  echo "made $OUT/$name.pem ($cn)"
}

gateways=()
for ((i = 1; i <= GATEWAYS; i++)); do gateways+=("gateway$i"); done
sign ca "$FORCE_SERVER" server "wsmsg server" localhost 127.0.0.1 ::1 "${gateways[@]}" "${HOSTS[@]}"
for g in "${gateways[@]}"; do sign cluster-ca "$FORCE_MEMBERS" "$g" "wsmsg member $g" "$g" localhost 127.0.0.1 "${HOSTS[@]}"; done
chmod 644 "$OUT"/*.pem
echo "certificates in $OUT (keys readable by $(id -un) only)"
