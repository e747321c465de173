#!/usr/bin/env bash
# Installs what a fresh clone lacks before tests or the stack run: Debian's nats-server and
# clang/llvm (through apt-get, when we are root), then the npm packages, then a build.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v llvm-objdump >/dev/null 2>&1 || missing+=(llvm)
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
npx tsc -b
