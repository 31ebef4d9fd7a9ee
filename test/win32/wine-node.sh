#!/usr/bin/env bash
# Runs node.exe under Wine with the arguments given. node.exe fails when
# its stdout or stderr is a pipe, so both go to files, printed afterwards
# (stdout to stdout, stderr to stderr); the exit status is node's.
set -uo pipefail
: "${ACE_WIN32_CACHE:=$HOME/.cache/ace-proactor-win32}"
export WINEPREFIX="${WINEPREFIX:-$ACE_WIN32_CACHE/wine}" WINEDEBUG="${WINEDEBUG:--all}"
out=$(mktemp) err=$(mktemp)
wine "$ACE_WIN32_CACHE/node/node.exe" "$@" >"$out" 2>"$err" </dev/null
rc=$?
cat "$out"
cat "$err" >&2
rm -f "$out" "$err"
exit $rc
