#!/usr/bin/env bash
# Installs what a fresh clone lacks before tests or the stack run: Debian's nats-server and
# clang/llvm (through apt-get, when we are root), then the npm packages, then a build.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v llvm-objdump >/dev/null 2>&1 || missing+=(llvm)
# libs/udp-batch's addon: node-gyp needs a C toolchain, make and Python 3 (without them the dgram
# twin runs, and on CI libs/udp-batch's native-loaded test fails)
{ command -v cc >/dev/null 2>&1 && command -v make >/dev/null 2>&1; } || missing+=(build-essential)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "flowshield: installing ${missing[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "flowshield: missing ${missing[*]}; install them (Debian: sudo apt-get install ${missing[*]}) and retry" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "flowshield: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
# The addon builds at npm ci; build it here too when a checkout lost build/ (git clean) since.
ub=libs/udp-batch/build
[ -f "$ub/Release/udp_batch.node" ] || [ -f "$ub/build-error.txt" ] || node libs/udp-batch/scripts/build-addon.mjs
npx tsc -b
