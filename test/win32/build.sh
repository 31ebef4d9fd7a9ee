#!/usr/bin/env bash
# Cross-compiles the addon for win32-x64 with mingw-w64 into
# build/win32-x64/ace_proactor.node (where loadNative looks on Windows).
# node-gyp cannot cross-compile, so the command line is here; the sources
# are binding.gyp's own (the common list plus its OS=='win' condition).
# Links against an import library for node.exe made with gendef + dlltool,
# statically (the posix thread model: std::mutex and std::thread, which the
# default win32 model lacks). Needs the tools test/win32/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${ACE_WIN32_CACHE:?set by test/win32/setup.sh}"
NODE_EXE="$ACE_WIN32_CACHE/node/node.exe"
HEADERS="$ACE_WIN32_CACHE/node-api-headers/include"
OUT=build/win32-x64
mkdir -p "$OUT/obj"

if [ ! -f "$ACE_WIN32_CACHE/libnode.a" ] || [ "$NODE_EXE" -nt "$ACE_WIN32_CACHE/libnode.a" ]; then
  (cd "$ACE_WIN32_CACHE" && gendef - node/node.exe > node.def 2>/dev/null &&
    x86_64-w64-mingw32-dlltool -d node.def -D node.exe -l libnode.a)
fi

# binding.gyp's sources for OS=='win'.
mapfile -t SOURCES < <(node -e '
  const gyp = JSON.parse(require("fs").readFileSync("binding.gyp", "utf8"));
  const t = gyp.targets[0];
  const win = t.conditions.find(([cond]) => cond === "OS==\"win\"" || cond === "OS==\x27win\x27");
  for (const s of [...t.sources, ...win[1].sources]) console.log(s);')

CXX=x86_64-w64-mingw32-g++-posix
FLAGS=(-std=c++17 -O2 -Wall -Wextra -Wno-missing-field-initializers -Wno-cast-function-type
  -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DBUILDING_NODE_EXTENSION
  -DWIN32_LEAN_AND_MEAN -DNOMINMAX -D_WIN32_WINNT=0x0602
  -Inative -I"$(node -p "require('node-addon-api').include_dir")" -I"$HEADERS")

OBJECTS=()
PIDS=()
for src in "${SOURCES[@]}"; do
  obj="$OUT/obj/$(echo "$src" | tr / _).o"
  OBJECTS+=("$obj")
  # Rebuild an object older than its source or than any header.
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find native -name '*.h' -newer "$obj" | head -1)" ]; then
    "$CXX" "${FLAGS[@]}" -c "$src" -o "$obj" &
    PIDS+=($!)
    if [ "${#PIDS[@]}" -ge 2 ]; then wait "${PIDS[0]}"; PIDS=("${PIDS[@]:1}"); fi
  fi
done
for pid in "${PIDS[@]}"; do wait "$pid"; done
# Linked beside, then renamed over: a running node.exe may have the old one mapped.
"$CXX" -shared -static -o "$OUT/ace_proactor.node.tmp" "${OBJECTS[@]}" \
  "$ACE_WIN32_CACHE/libnode.a" -lws2_32 -lmswsock -lntdll
mv -f "$OUT/ace_proactor.node.tmp" "$OUT/ace_proactor.node"
echo "built $OUT/ace_proactor.node"
