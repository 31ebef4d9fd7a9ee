#!/usr/bin/env bash
# Runs the Proactor suites against an AddressSanitizer build of the addon.
# The build happens in a scratch copy of the tree, so build/ stays as it is.
# Node itself is not instrumented: libasan is preloaded, and leak detection
# is off because Node frees little at exit by design.
set -euo pipefail
[ $# -gt 0 ] || set -- test/proactor test/common test/ace
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$root" && tar --exclude=./node_modules --exclude=./build --exclude=./dist --exclude=./.git -cf - .) | tar -xf - -C "$scratch"
ln -s "$root/node_modules" "$scratch/node_modules"
cd "$scratch"
ACE_PROACTOR_SANITIZE=address npx node-gyp rebuild >/dev/null
npx tsc -p .
LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
  node --expose-gc node_modules/jest/bin/jest.js --runInBand "$@"
