#!/usr/bin/env bash
# Install what esmsim needs (Debian packages) when it is missing, then build
# build/ (optimised), build-asan/ (AddressSanitizer + UBSan) and build-fuzz/
# (clang, libFuzzer).
set -euo pipefail
cd "$(dirname "$0")/.."

# Install the Debian packages of "$@" that are not installed yet (with their
# recommended packages unless the first argument is --no-install-recommends).
install_missing() {
  local need=() opts=() p sudo=""
  [ "$1" != --no-install-recommends ] || { opts=("$1"); shift; }
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
  done
  [ ${#need[@]} -gt 0 ] || return 0
  echo "setup: installing ${need[*]}" >&2
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${opts[@]}" "${need[@]}" >/dev/null
}

install_missing gcc pkg-config meson ninja-build libgsl-dev libsqlite3-dev libcjson-dev \
    nettle-dev gnuplot-nox sqlite3 libmicrohttpd-dev libyaml-dev python3 nodejs \
    clang libclang-rt-dev gdb
# clang and libFuzzer: the fuzz targets (build-fuzz/, issue 11 item 19); gdb: tests/faults.sh
# holds a run at its first CREATE TABLE (two runs making one new file at once)

# npm, for the handler examples that lock npm packages (examples/handlers/node-powertools:
# tools/install-handler.sh runs `npm ci` there for tests/powertools.sh). Debian's nodejs
# package comes without it; NodeSource's brings its own, which Debian's would conflict with.
command -v npm > /dev/null || install_missing npm

# Optional (ESMSIM_SLURM=1, as CI sets it): a Slurm to run docs/sweep.md's recipe on
# (tests/slurm.sh starts its own one-node cluster; without Slurm it says it skipped).
[ "${ESMSIM_SLURM:-0}" != 1 ] || install_missing --no-install-recommends slurmctld slurmd slurm-client

# Optional (ESMSIM_RIC=1): AWS's Node.js runtime interface client, aws-lambda-ric 3.3.0 (the last
# version for Node 18 and 20; 4.x needs Node 22), for examples/handlers/node-ric and tests/ric.sh
# (which skips without it). Its install builds curl and aws-lambda-cpp from source: the build
# tools, and Node's headers for node-gyp (Debian's nodejs keeps them in libnode-dev).
if [ "${ESMSIM_RIC:-0}" = 1 ]; then
  install_missing --no-install-recommends cmake autoconf automake libtool make g++ python3
  [ -e /usr/include/node/node.h ] || install_missing --no-install-recommends libnode-dev
  # not fatal: without it tests/ric.sh skips, saying that it is not installed
  npm_config_nodedir=/usr tools/install-handler.sh examples/handlers/node-ric ||
    echo "setup: aws-lambda-ric could not be installed: tests/ric.sh will skip, saying so" >&2
fi

[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
# gcc's -fsanitize=undefined leaves float-cast-overflow out: asked for apart.
[ -f build-asan/build.ninja ] || meson setup build-asan --buildtype=debug -Dinvariants=true \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fsanitize=float-cast-overflow -Dc_link_args=-fsanitize=float-cast-overflow >/dev/null
meson configure build-asan -Dinvariants=true >/dev/null   # an older build-asan/ checks too
ninja -C build >/dev/null

# The libFuzzer targets of tests/fuzz (issue 11 item 19): clang, every file
# instrumented, ASan + UBSan; tools/test.sh runs each for seconds, tools/fuzz.sh
# for as long as asked.
[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz --buildtype=debugoptimized \
    -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
