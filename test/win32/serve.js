// Runs the example_proactor server (dist/) under Wine with the flags given
// after the first argument, and stops it as SIGTERM would once the file
// named by the first argument appears: Wine gives a Windows console
// program no POSIX signals to catch.
const { existsSync } = require('node:fs');
const { main } = require('../../dist/applications/example_proactor/MainServer.js');

const stopFile = process.argv[2];
const poll = setInterval(() => {
  if (!existsSync(stopFile)) return;
  clearInterval(poll);
  process.emit('SIGTERM', 'SIGTERM');
}, 200);
main(process.argv.slice(3)).then((code) => {
  clearInterval(poll);
  process.exitCode = code;
});
