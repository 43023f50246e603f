#!/usr/bin/env bash
# tools/install-handler.sh DIR - install the npm packages a handler example
# locks (DIR/package-lock.json) into DIR/node_modules with `npm ci`, unless
# they are there already for this lockfile and this Node (a stamp in
# node_modules says so).  The tests that run such an example call it; so
# does tools/setup-ric.sh.
#
# Exit status: 0 installed (now or before); 77 npm cannot be reached: it is
# not installed, or its registry does not answer (the reason on stderr; the
# tests then skip, saying why); 1 anything else (the install failed).
set -u
dir=${1:?usage: tools/install-handler.sh DIR}
cd "$dir" || exit 1
[ -f package-lock.json ] || { echo "install-handler: $dir has no package-lock.json" >&2; exit 1; }
exec 9< package-lock.json
flock 9   # one install at a time in DIR
stamp=node_modules/.esmsim-installed
want="$(sha256sum package-lock.json | cut -d' ' -f1) $(node --version 2>/dev/null)"
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && exit 0
if ! command -v npm > /dev/null; then
  echo "install-handler: npm is not installed (tools/setup.sh installs it): cannot install $dir" >&2
  exit 77
fi
if ! out=$(timeout 60 npm ping --fetch-retries=0 --fetch-timeout=20000 2>&1); then
  why=$(printf '%s\n' "$out" | grep -m1 'FetchError\|npm error code') || why="no answer within 60 s"
  echo "install-handler: npm cannot reach its registry ($(npm config get registry 2>/dev/null)): ${why#npm error }" >&2
  exit 77
fi
echo "install-handler: npm ci in $dir" >&2
npm ci --no-audit --no-fund --loglevel=error >&2 || exit 1
echo "$want" > "$stamp"
