#!/usr/bin/env bash
# Installs what a fresh clone lacks before tests or the stack run: Debian's nats-server and
# clang/llvm (through apt-get, when we are root), then the npm packages, then a build. Every
# failure ends in one line `flowshield: ...` saying what to install or run by hand.
set -uo pipefail
cd "$(dirname "$0")/.."

# How long apt-get waits for another apt/dpkg run to release its lock (seconds); bounded so a
# stuck lock ends in a message instead of a hang.
APT_LOCK_TIMEOUT="${FLOWSHIELD_APT_LOCK_TIMEOUT:-300}"

fail() {
  echo "flowshield: $*" >&2
  exit 1
}

missing=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v llvm-objdump >/dev/null 2>&1 || missing+=(llvm)
# libs/udp-batch's addon: node-gyp needs a C toolchain, make and Python 3 (without them the dgram
# twin runs, and on CI libs/udp-batch's native-loaded test fails)
{ command -v cc >/dev/null 2>&1 && command -v make >/dev/null 2>&1; } || missing+=(build-essential)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  install_hint="install ${missing[*]} (Debian: sudo apt-get install ${missing[*]}) and retry"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "flowshield: installing ${missing[*]} with apt-get (waiting up to ${APT_LOCK_TIMEOUT}s for the apt lock)" >&2
    export DEBIAN_FRONTEND=noninteractive
    log="$(mktemp)"
    apt_get() { apt-get -o "DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT}" "$@" >"$log" 2>&1; }
    if ! apt_get update -qq || ! apt_get install -y -qq "${missing[@]}"; then
      # apt's own words first (the lock holder, the unknown package, the network error), then ours.
      tail -n 20 "$log" >&2
      rm -f "$log"
      fail "apt-get could not install ${missing[*]} (output above); $install_hint"
    fi
    rm -f "$log"
  else
    fail "missing ${missing[*]}; $install_hint"
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "flowshield: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed (output above); run 'npm ci' by hand and retry"
fi
# The addon builds at npm ci; build it here too when a checkout lost build/ (git clean) since.
ub=libs/udp-batch/build
[ -f "$ub/Release/udp_batch.node" ] || [ -f "$ub/build-error.txt" ] || node libs/udp-batch/scripts/build-addon.mjs \
  || fail "building libs/udp-batch's addon failed (output above); install build-essential and python3, then retry"
npx tsc -b || fail "the TypeScript build failed (errors above); run 'npx tsc -b' to see them"
