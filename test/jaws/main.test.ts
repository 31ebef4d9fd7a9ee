import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { join } from 'node:path';
import { parseJawsFlags } from '../../applications/jaws/JawsFlags';
import { backends, gap } from '../support/backends';
import { noChildNode, skipNote } from '../support/platform';
import { makeRoot, waitFor } from './support';

const MAIN = join(__dirname, '..', '..', 'dist', 'applications', 'jaws', 'Main.js');
const BIG = Buffer.alloc(24 * 1024 * 1024);
for (let i = 0; i < BIG.length; i += 4) BIG.writeUInt32LE(i, i);
const root = makeRoot({ 'index.html': '<h1>JAWS</h1>\n', 'big.bin': BIG });
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Child {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function run(args: string[]): Child {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function listening(c: Child): Promise<number> {
  let port = 0;
  await waitFor(() => {
    const m = /^jaws listening on 127\.0\.0\.1:(\d+) /m.exec(c.out());
    if (m) port = Number(m[1]);
    return port > 0 || c.child.exitCode !== null;
  }, 'the listening line', 15000);
  if (port === 0) throw new Error(`jaws exited: ${c.err()}`);
  return port;
}

/** GETs path; the body is paused for pauseMs after its first bytes (while something else happens). */
function download(port: number, path: string, onFirstBytes?: () => void, pauseMs = 0): Promise<{ status: number; body: Buffer }> {
  const agent = new Agent({ keepAlive: false });
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      let first = true;
      res.on('data', (d: Buffer) => {
        chunks.push(d);
        if (first && onFirstBytes) {
          first = false;
          res.pause();
          onFirstBytes();
          setTimeout(() => res.resume(), pauseMs);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('the jaws command line', () => {
  it.each([
    ['--release-memory', '-1', 0],
    ['--port', '-80', 0],
    ['--header-timeout', '-5', 1],
  ])('should refuse %s %j, given as the next argument, with the flag\'s own words', (flag, value, least) => {
    expect(() => parseJawsFlags(['--root', '/tmp', flag, value])).toThrow(
      new RegExp(`^${flag} must be a whole number from ${least} to \\d+, got '${value}'\nusage: jaws --root DIR`),
    );
  });
});

(noChildNode ? describe.skip : describe)(`the jaws command${skipNote(noChildNode)}`, () => {
  it.each([
    ['no --root', []],
    ['a bad port', ['--root', '/tmp', '--port', '8e3']],
    ['an unknown dispatch', ['--root', '/tmp', '--dispatch', 'magic']],
    ['--threads without pool', ['--root', '/tmp', '--threads', '2']],
    ['a zero limit', ['--root', '/tmp', '--max-header-bytes', '0']],
    ['a --release-memory that is not a number of ms', ['--root', '/tmp', '--release-memory', '10s']],
    ['an unknown flag', ['--root', '/tmp', '--frobnicate']],
    ['an unknown backend', ['--root', '/tmp', '--backend', 'bogus']],
    ['a host that is not a numeric address', ['--root', '/tmp', '--host', 'nonsense']],
  ])('should refuse %s with the usage and exit code 2', async (_what, args) => {
    const c = run(args);
    expect(await c.exited).toBe(2);
    expect(c.err()).toMatch(/usage: jaws --root DIR/);
  });

  it('should exit 1 saying why when the root is not a directory', async () => {
    const c = run(['--root', join(root, 'index.html'), '--port', '0']);
    expect(await c.exited).toBe(1);
    expect(c.err()).toMatch(/not a directory/);
  });
});

const cases = backends.flatMap((backend) => ['post-reactive', 'call-through', 'pool'].map((dispatch) => [backend, dispatch] as const));

describe.each(cases)('jaws on %s, dispatch %s', (backend, dispatch) => {
  const why = noChildNode ?? gap(backend, 'sendfile');
  (why ? it.skip : it)(`should serve, then on SIGINT finish the response in flight and exit 0${skipNote(why)}`, async () => {
    const c = run(['--root', root, '--port', '0', '--host', '127.0.0.1', '--backend', backend, '--dispatch', dispatch, '--access-log']);
    try {
      const port = await listening(c);
      expect(c.out()).toContain(`backend ${backend}, dispatch ${dispatch}`);
      const index = await download(port, '/index.html');
      expect(index.body.toString()).toBe('<h1>JAWS</h1>\n');
      const big = await download(port, '/big.bin', () => c.child.kill('SIGINT'), 300);
      expect(big.status).toBe(200);
      expect(big.body.length).toBe(BIG.length);
      expect(sha(big.body)).toBe(sha(BIG));
      expect(await c.exited).toBe(0);
      expect(c.out()).toMatch(/"GET \/index\.html HTTP\/1\.1" 200/);
      expect(c.out()).toMatch(/jaws stopped: \d+ connections, 2 requests, 2 responses, .* 0 left open/);
    } finally {
      c.child.kill('SIGKILL');
      await c.exited;
    }
  });
});
