#!/usr/bin/env bash
# Runs the whole Keyward stack locally, in the foreground: its own
# redis-server, a demo CA, keyward-responder, keyward-issuer and
# keyward-poller. Installs what is missing, builds Release, and prints the
# OCSP and SCEP URLs with example commands that work as printed.
# Ctrl-C stops everything. State lives in ./run/quickstart (delete it to
# start over). Ports: OCSP_PORT (8080), SCEP_PORT (8081), REDIS_PORT (6390).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
state="$root/run/quickstart"
ocsp_port="${OCSP_PORT:-8080}"
scep_port="${SCEP_PORT:-8081}"
redis_port="${REDIS_PORT:-6390}"

"$root/deploy/install-deps.sh" build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" \
  --target keyward keyward-responder keyward-issuer keyward-poller
bin="$root/build/bin"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$ocsp_port" "$scep_port" "$redis_port"; do
  if port_busy "$p"; then
    echo "port $p on 127.0.0.1 is in use; set OCSP_PORT, SCEP_PORT or REDIS_PORT" >&2
    exit 1
  fi
done

mkdir -p "$state/pki" "$state/redis" "$state/demo"
config="$state/keyward.toml"
cat >"$config" <<TOML
# Written by deploy/quickstart.sh; see deploy/keyward.example.toml for every key.
[store]
redis = "redis://127.0.0.1:${redis_port}/0"

[[ca]]
name = "demo"
# RSA, because micromdm's scepclient encrypts to every certificate GetCACert
# returns and cannot use an ECDSA one; the OCSP signer stays ECDSA P-256.
key_type = "rsa-2048"
cert = "pki/demo-ca.pem"
key = "pki/demo-ca.key"
ocsp_signer_cert = "pki/demo-ocsp.pem"
ocsp_signer_key = "pki/demo-ocsp.key"
device_id = "san-uri:urn:device:"

[responder]
listen = ["127.0.0.1:${ocsp_port}"]

[issuer]
listen = ["127.0.0.1:${scep_port}"]
ca = "demo"
challenge = "quickstart-secret"

[poller]
interval_s = 5
TOML

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping..."
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "stopped"
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$state/redis" \
  --appendonly yes --save "" --protected-mode yes >"$state/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done

"$bin/keyward" ca init --config "$config"

# A demo device certificate, issued and published once.
if [ ! -f "$state/demo/device.pem" ]; then
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$state/demo/device.key" -subj "/CN=demo-device" \
    -out "$state/demo/device.csr" 2>/dev/null
  "$bin/keyward" issue --config "$config" --ca demo --csr "$state/demo/device.csr" \
    --out "$state/demo/device.pem" --san-uri urn:device:demo-0001
fi

"$bin/keyward-responder" --config "$config" >"$state/responder.log" 2>&1 &
pids+=($!)
"$bin/keyward-issuer" --config "$config" >"$state/issuer.log" 2>&1 &
pids+=($!)
"$bin/keyward-poller" --config "$config" >"$state/poller.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:${ocsp_port}/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

serial="$(openssl x509 -in "$state/demo/device.pem" -noout -serial | cut -d= -f2)"
cat <<INFO

Keyward is running (logs in $state/*.log). Ctrl-C stops everything.

  OCSP URL:        http://127.0.0.1:${ocsp_port}/
  SCEP URL:        http://127.0.0.1:${scep_port}/scep
  CA certificate:  $state/pki/demo-ca.pem
  Config:          $config

Check the demo certificate's status over OCSP:
  openssl ocsp -issuer $state/pki/demo-ca.pem -cert $state/demo/device.pem \\
    -url http://127.0.0.1:${ocsp_port}/ -CAfile $state/pki/demo-ca.pem

Enroll a device over SCEP (challenge "quickstart-secret"), then ask for its status:
  mkdir -p /tmp/scep-demo && cd /tmp/scep-demo && \\
    scepclient -server-url http://127.0.0.1:${scep_port}/scep -private-key device.key \\
      -certificate device.pem -challenge quickstart-secret -cn my-device
  openssl ocsp -issuer $state/pki/demo-ca.pem -cert /tmp/scep-demo/device.pem \\
    -url http://127.0.0.1:${ocsp_port}/ -CAfile $state/pki/demo-ca.pem

Ask the SCEP server what it supports:
  curl 'http://127.0.0.1:${scep_port}/scep?operation=GetCACaps'

Revoke the demo certificate, then run the OCSP command again:
  $bin/keyward revoke --config $config --ca demo --serial $serial --reason keyCompromise
  $bin/keyward status --config $config --ca demo --serial $serial

INFO

# Stay in the foreground until Ctrl-C or until a daemon dies.
while true; do
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "a Keyward process (pid $pid) exited; see $state/*.log" >&2
      exit 1
    fi
  done
  sleep 1
done
