/**
 * The main job in one command: starts MainServer on a free port, runs
 * MainClient once interactively (lines piped to it) and once in load mode,
 * then stops the server with SIGINT and shows its summary. Exits non-zero
 * if any step did not go as it should.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const here = __dirname;
const LOAD = ['--connections', '50', '--messages', '200'];
const SCRIPT = 'Hello, Proactor\nTCP may split or join lines\nexit\n';

function run(args: string[], input: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'MainClient.js'), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
    child.stdin.end(input);
  });
}

function listening(server: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the server did not say it was listening:\n${seen}`)), 10000);
    server.stdout!.setEncoding('utf8').on('data', (d: string) => {
      process.stdout.write(`[server] ${d}`);
      seen += d;
      const m = /listening on \S+:(\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    server.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening:\n${seen}`)));
  });
}

async function main(): Promise<number> {
  const server = spawn(process.execPath, [join(here, 'MainServer.js'), '--port', '0', ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
  let ok = true;
  try {
    const port = String(await listening(server));
    process.stdout.write(`\n$ npm run client -- --port ${port}   (stdin: the lines below)\n${SCRIPT}\n`);
    const talk = await run(['--port', port], SCRIPT);
    process.stdout.write(talk.out + '\n');
    ok &&= talk.code === 0 && talk.out.includes('Received: Echo - Hello, Proactor');
    process.stdout.write(`$ npm run client -- --port ${port} ${LOAD.join(' ')}\n`);
    const load = await run(['--port', port, ...LOAD], '');
    process.stdout.write(load.out + '\n');
    ok &&= load.code === 0;
  } finally {
    server.kill('SIGINT');
  }
  const code = await exited;
  ok &&= code === 0;
  process.stdout.write(ok ? '\ndemo finished: every reply verified, server stopped cleanly\n' : '\ndemo FAILED (see above)\n');
  return ok ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`demo: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
