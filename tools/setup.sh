#!/usr/bin/env bash
# Install what esmsim needs (Debian packages) when it is missing, then build
# build/ (optimised) and build-asan/ (AddressSanitizer + UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
pkgs=(gcc pkg-config meson ninja-build libgsl-dev libsqlite3-dev libcjson-dev
      nettle-dev gnuplot-nox sqlite3 libmicrohttpd-dev libyaml-dev python3 nodejs)
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Optional (ESMSIM_SLURM=1, as CI sets it): a Slurm to run docs/sweep.md's recipe on
# (tests/slurm.sh starts its own one-node cluster; without Slurm it says it skipped).
if [ "${ESMSIM_SLURM:-0}" = 1 ] && ! command -v slurmctld >/dev/null; then
  echo "setup: installing slurmctld slurmd slurm-client" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      slurmctld slurmd slurm-client >/dev/null
fi

[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
[ -f build-asan/build.ninja ] || meson setup build-asan --buildtype=debug \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
ninja -C build >/dev/null
