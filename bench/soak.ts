/**
 * Soak: the example server under many connections for a bounded time, every
 * reply checked. Loopback only; the server runs as a child process, the
 * clients in this one, so each process holds one fd per connection.
 *
 *   1. opens --connections connections (256 at a time), each confirmed by
 *      the reply to its first line;
 *   2. for --seconds, every connection sends --pipeline lines in one write,
 *      waits for their replies, checks each ("Echo - <line>", in order) and
 *      sends again; the server's RSS is sampled each second;
 *   3. the clients close every connection: the server's fds must come back
 *      to where they were before the first connection, and its RSS is
 *      sampled each second for --settle seconds, to see it come back
 *      towards where it was before the first connection (the printed lines
 *      show 13 and 11 of the samples, evenly spread with the first and the
 *      last; --json gives every one);
 *   4. the connections are opened again and the server gets SIGTERM with
 *      all of them open: the time until it has exited, its exit code, and
 *      its summary line ("N open at shutdown, … 0 left open").
 *
 * Usage: node dist/bench/soak.js [--connections 10000] [--seconds 60]
 *          [--backend uring] [--dispatch post-reactive|call-through|pool]
 *          [--pipeline 4] [--idle-timeout 0] [--release-memory <ms>] [--settle 15] [--json]
 * The server's idle timeout is off unless --idle-timeout is given: the
 * connections opened first wait, idle, while the others are opened (on the
 * aio backend, 2,000 take about a minute). --release-memory is passed to
 * the server (the quiet time after a spike before it gives the memory
 * back); without it the server's default holds.
 * Raises its own RLIMIT_NOFILE (soft up to hard, with prlimit); the server
 * inherits it. Exits 0 when every reply was verified and nothing leaked, 1
 * on any error, 2 when the connections asked for cannot fit the fd limit.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { decimal, parseFlags } from '../applications/example_proactor/Flags';

const USAGE =
  'usage: node dist/bench/soak.js [--connections 10000] [--seconds 60] [--backend uring|epoll|aio]\n' +
  '         [--dispatch post-reactive|call-through|pool] [--pipeline 4] [--idle-timeout 0] [--release-memory <ms>] [--settle 15] [--json]';

function fail(message: string, code: number): never {
  process.stderr.write(`soak: ${message}\n`);
  process.exit(code);
}

let parsed;
try {
  parsed = parseFlags({ args: process.argv.slice(2), options: {
    connections: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '60' },
    backend: { type: 'string' },
    dispatch: { type: 'string', default: 'post-reactive' },
    pipeline: { type: 'string', default: '4' },
    'idle-timeout': { type: 'string', default: '0' },
    'release-memory': { type: 'string' },
    settle: { type: 'string', default: '15' },
    json: { type: 'boolean', default: false },
  } }, USAGE);
} catch (e) {
  fail((e as Error).message, 2);
}
const { values } = parsed;
// Decimal digits only, as the servers' flags take them.
const CONNECTIONS = decimal(values.connections);
const SECONDS = decimal(values.seconds);
const PIPELINE = decimal(values.pipeline);
const SETTLE = decimal(values.settle);
/** Descriptors a process needs besides one per connection (Node, the ring, the reactor, pipes). */
const FD_HEADROOM = 200;
const CONNECT_WIDTH = 256;
/** Each phase other than the run itself must end within this long, or the soak fails saying which. */
const PHASE_LIMIT_MS = Math.max(60_000, CONNECTIONS * 10);

/** What the soak found; printed as text, and as one JSON line with --json. */
interface Report {
  backend: string;
  dispatch: string;
  connections: number;
  seconds: number;
  pipeline: number;
  linesVerified: number;
  linesPerSecond: number;
  errors: string[];
  connectSeconds: number;
  /** Server RSS in MiB before the first connection. */
  rssBefore: number;
  /** [seconds since the run began, server RSS in MiB]. */
  rss: [number, number][];
  /** [seconds since every connection had closed, server RSS in MiB]. */
  rssAfterClose: [number, number][];
  fds: { before: number; open: number; after: number };
  closeSeconds: number;
  shutdown: { seconds: number; code: number | null; summary: string };
}

/** RLIMIT_NOFILE of pid, soft and hard, from /proc. */
function nofile(pid: number): { soft: number; hard: number } {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
  const [soft, hard] = line.replace('Max open files', '').trim().split(/\s+/);
  const n = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(soft), hard: n(hard) };
}

/** Raises this process's soft RLIMIT_NOFILE to its hard limit; returns the soft limit now in force. */
function raiseNofile(): number {
  const { soft, hard } = nofile(process.pid);
  if (soft < hard) {
    try {
      const to = hard === Infinity ? 'unlimited' : String(hard);
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${to}:${to}`], { stdio: 'ignore' });
    } catch {
      // No prlimit: the soft limit stays, and the check below says what fits.
    }
  }
  return nofile(process.pid).soft;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

const openFds = (pid: number): number => fs.readdirSync(`/proc/${pid}/fd`).length;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function within<T>(p: Promise<T>, what: string, limitMs = PHASE_LIMIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not done after ${limitMs} ms`)), limitMs)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

interface Server {
  child: ChildProcess;
  port: number;
  backend: string;
  stdout: () => string;
  exited: Promise<number | null>;
}

async function startServer(): Promise<Server> {
  const args = [join(__dirname, '../applications/example_proactor/MainServer.js'), '--host', '127.0.0.1', '--port', '0', '--dispatch', values.dispatch!, '--idle-timeout', values['idle-timeout']!];
  if (values['release-memory'] !== undefined) args.push('--release-memory', values['release-memory']);
  if (values.backend) args.push('--backend', values.backend);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  // Stopped itself (Ctrl-C, a time limit's SIGTERM), the soak takes its server along.
  const stopBoth = (signal: NodeJS.Signals): void => {
    child.kill('SIGKILL');
    process.stderr.write(`soak: ${signal}: stopped, and its server with it\n`);
    process.exit(1);
  };
  process.once('SIGINT', stopBoth);
  process.once('SIGTERM', stopBoth);
  child.once('exit', () => {
    process.off('SIGINT', stopBoth);
    process.off('SIGTERM', stopBoth);
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const [port, backend] = await within(
    new Promise<[number, string]>((resolve, reject) => {
      const check = () => {
        const m = /listening on 127\.0\.0\.1:(\d+) \(backend (\w+)/.exec(out);
        if (m) resolve([Number(m[1]), m[2]]);
      };
      child.stdout!.on('data', check);
      void exited.then((code) => reject(new Error(`the server exited (${code}) before listening: ${out}`)));
    }),
    'the server to listen',
    20_000,
  );
  return { child, port, backend, stdout: () => out, exited };
}

/**
 * One client connection: sends batches of lines and checks that the replies
 * come back whole and in order. Any difference, early close or socket error
 * is recorded in errors.
 */
class Conversation {
  readonly socket: net.Socket;
  private pending: string[] = [];
  private buffered = '';
  private seq = 0;
  private wake: (() => void) | undefined;
  verified = 0;
  failed = false;
  /** Set once this side closes, or the server is told to: an EOF is expected from then on. */
  closing = false;

  constructor(
    readonly id: number,
    port: number,
    private readonly errors: string[],
  ) {
    this.socket = net.connect({ port, host: '127.0.0.1' });
    this.socket.setNoDelay(true);
    this.socket.setEncoding('utf8');
    this.socket.on('data', (d: string) => this.onData(d));
    this.socket.on('error', (e: NodeJS.ErrnoException) => this.error(`socket error ${e.code ?? e.message}`));
    this.socket.on('end', () => {
      if (!this.closing) this.error('the server closed the connection');
    });
  }

  /** Sends n lines in one write; resolves when all their replies are verified (or the connection failed). */
  exchange(n: number): Promise<void> {
    if (this.failed) return Promise.resolve();
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(this.nextLine());
    this.pending.push(...lines);
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.socket.write(`${lines.join('\n')}\n`);
    });
  }

  /** Half-closes; resolves when the server has closed its side. */
  close(): Promise<void> {
    this.closing = true;
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  /** Varied lengths (0–255 bytes), contents naming the connection and the line. */
  private nextLine(): string {
    const n = this.seq++;
    const tail = 'x'.repeat((this.id * 7 + n * 13) % 240);
    return `${this.id}:${n}${tail}`;
  }

  private onData(d: string): void {
    this.buffered += d;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const want = this.pending.shift();
      if (want === undefined || line !== `Echo - ${want}`) return this.error(`got ${JSON.stringify(line.slice(0, 80))}, expected ${JSON.stringify(`Echo - ${want}`.slice(0, 80))}`);
      this.verified++;
    }
    if (this.pending.length === 0) this.settle();
  }

  private error(what: string): void {
    if (this.failed) return;
    this.failed = true;
    if (this.errors.length < 20) this.errors.push(`connection ${this.id}: ${what}`);
    else if (this.errors.length === 20) this.errors.push('(further errors not listed)');
    this.settle();
  }

  private settle(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** Opens n conversations, CONNECT_WIDTH at a time, each confirmed by one verified line. */
async function openAll(port: number, n: number, errors: string[]): Promise<Conversation[]> {
  const all: Conversation[] = [];
  for (let i = 0; i < n; i += CONNECT_WIDTH) {
    const batch: Conversation[] = [];
    for (let j = i; j < Math.min(n, i + CONNECT_WIDTH); j++) batch.push(new Conversation(j, port, errors));
    await Promise.all(batch.map((c) => c.exchange(1)));
    all.push(...batch);
  }
  return all;
}

async function soak(): Promise<Report> {
  const soft = raiseNofile();
  const need = CONNECTIONS + FD_HEADROOM;
  if (need > soft) {
    const { hard } = nofile(process.pid);
    fail(
      `${CONNECTIONS} connections need about ${need} file descriptors in this process and as many in the server, ` +
        `but RLIMIT_NOFILE is ${soft} here (hard limit ${hard}; raising the hard limit needs CAP_SYS_RESOURCE). ` +
        `At most ${soft - FD_HEADROOM} connections fit: run with --connections ${soft - FD_HEADROOM} or fewer.`,
      2,
    );
  }
  const errors: string[] = [];
  const server = await startServer();
  const pid = server.child.pid!;
  const report: Report = {
    backend: server.backend, dispatch: values.dispatch!, connections: CONNECTIONS, seconds: SECONDS, pipeline: PIPELINE,
    linesVerified: 0, linesPerSecond: 0, errors, connectSeconds: 0, rssBefore: rssMiB(pid), rss: [], rssAfterClose: [], fds: { before: openFds(pid), open: 0, after: 0 },
    closeSeconds: 0, shutdown: { seconds: 0, code: null, summary: '' },
  };
  try {
    let t0 = performance.now();
    const conversations = await within(openAll(server.port, CONNECTIONS, errors), `opening ${CONNECTIONS} connections`);
    report.connectSeconds = (performance.now() - t0) / 1000;
    report.fds.open = openFds(pid);

    // The run: every connection talks until the time is up.
    t0 = performance.now();
    const end = t0 + SECONDS * 1000;
    report.rss.push([0, rssMiB(pid)]);
    // Sampled from the conversations themselves: with thousands of sockets
    // always readable, this process's own timers can run seconds late.
    let nextSample = t0 + 1000;
    const sample = (now: number): void => {
      if (now < nextSample) return;
      nextSample += 1000;
      report.rss.push([Math.round((now - t0) / 1000), rssMiB(pid)]);
    };
    const talk = async (c: Conversation): Promise<void> => {
      for (let now = performance.now(); now < end && !c.failed; now = performance.now()) {
        sample(now);
        await c.exchange(PIPELINE);
      }
    };
    await within(Promise.all(conversations.map(talk)), `the run of ${SECONDS} s`, SECONDS * 1000 + PHASE_LIMIT_MS);
    const runSeconds = (performance.now() - t0) / 1000;
    report.rss.push([Math.round(runSeconds), rssMiB(pid)]);
    report.linesVerified = conversations.reduce((n, c) => n + c.verified, 0);
    report.linesPerSecond = Math.round(report.linesVerified / runSeconds);

    // The clients close: the server must close every one and leak nothing.
    t0 = performance.now();
    await within(Promise.all(conversations.map((c) => c.close())), `closing ${CONNECTIONS} connections`);
    await within(
      (async () => {
        while (openFds(pid) > report.fds.before) await sleep(20);
      })(),
      'the server to close every connection',
    ).catch((e: Error) => errors.push(`${e.message} (it has ${openFds(pid)} fds, had ${report.fds.before})`));
    report.closeSeconds = (performance.now() - t0) / 1000;
    report.fds.after = openFds(pid);
    // The spike is over: does the memory it took come back?
    report.rssAfterClose.push([0, rssMiB(pid)]);
    for (let t = 1; t <= SETTLE; t++) {
      await sleep(1000);
      report.rssAfterClose.push([t, rssMiB(pid)]);
    }

    // SIGTERM with every connection open.
    const again = await within(openAll(server.port, CONNECTIONS, errors), `opening ${CONNECTIONS} connections again`);
    for (const c of again) c.closing = true;
    t0 = performance.now();
    server.child.kill('SIGTERM');
    const killer = setTimeout(() => server.child.kill('SIGKILL'), 30_000);
    report.shutdown.code = await server.exited;
    clearTimeout(killer);
    report.shutdown.seconds = (performance.now() - t0) / 1000;
    report.shutdown.summary = /stopped: (.*)/.exec(server.stdout())?.[1] ?? '(no summary)';
    const expected = new RegExp(`^${2 * CONNECTIONS} connections accepted, ${CONNECTIONS} open at shutdown, ${2 * CONNECTIONS} closed, 0 left open;`);
    if (report.shutdown.code !== 0) errors.push(`the server exited with ${report.shutdown.code} after SIGTERM`);
    else if (!expected.test(report.shutdown.summary)) errors.push(`the server's summary is not what was expected: ${report.shutdown.summary}`);
    await within(Promise.all(again.map((c) => new Promise((resolve) => (c.socket.destroyed ? resolve(undefined) : c.socket.once('close', resolve))))), 'the clients to see the server go');
  } catch (e) {
    errors.push((e as Error).message);
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }
  if (report.fds.after > report.fds.before) errors.push(`server fds: ${report.fds.after} after every connection closed, ${report.fds.before} before`);
  return report;
}

/** At most n samples, evenly spread, the first and the last kept (--json has them all). */
function thin<T>(samples: T[], n: number): T[] {
  if (samples.length <= n) return samples;
  return Array.from({ length: n }, (_, i) => samples[Math.round((i * (samples.length - 1)) / (n - 1))]);
}

function print(r: Report): void {
  const lines = [
    `soak: example_proactor server, backend ${r.backend}, dispatch ${r.dispatch}: ${r.connections} connections × ${r.seconds} s, ${r.pipeline} lines per write`,
    `  opened in ${r.connectSeconds.toFixed(1)} s`,
    `  ${r.linesVerified} lines verified (${r.linesPerSecond} lines/s), ${r.errors.length} errors`,
    `  server RSS (MiB) by second: ${thin(r.rss, 13).map(([t, mb]) => `${t}s ${mb}`).join(', ')}`,
    `  server RSS (MiB) after the clients closed, by second: ${thin(r.rssAfterClose, 11).map(([t, mb]) => `${t}s ${mb}`).join(', ')} (${r.rssBefore} before the first connection)`,
    `  server fds: ${r.fds.before} before, ${r.fds.open} with ${r.connections} open, ${r.fds.after} after the clients closed them (in ${r.closeSeconds.toFixed(1)} s)`,
    `  SIGTERM with ${r.connections} open: exited in ${r.shutdown.seconds.toFixed(2)} s, code ${r.shutdown.code}; ${r.shutdown.summary}`,
    ...r.errors.map((e) => `  error: ${e}`),
    r.errors.length === 0 ? 'soak: ok' : 'soak: FAILED',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(r)}\n`);
}

if (!(CONNECTIONS >= 1 && SECONDS >= 0 && PIPELINE >= 1 && SETTLE >= 0) || ![CONNECTIONS, SECONDS, PIPELINE, SETTLE].every(Number.isInteger)) {
  fail(`--connections and --pipeline must be whole numbers ≥ 1, --seconds and --settle whole numbers ≥ 0\n${USAGE}`, 2);
}
soak().then(
  (r) => {
    print(r);
    process.exit(r.errors.length === 0 ? 0 : 1);
  },
  (e: Error) => fail(e.stack ?? e.message, 1),
);
