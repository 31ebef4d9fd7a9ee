/**
 * What closing a connection costs the example server, and whether it
 * depends on how many connections are open. Loopback only, bounded in time.
 *
 *   per-close CPU: a server's CPU time (all threads, /proc schedstat) for
 *     `--cycles` connect → close → server closes cycles, on two servers at
 *     once, one with 0 and one with `--idle` idle connections open, in
 *     `--rounds` blocks that alternate between them; the ratio (median of
 *     the rounds') should stay near 1.
 *     `--cycles 0` skips this part.
 *   shutdown: `--shutdown` idle connections (comma-separated counts), held
 *     by a connectionHolder process on CPU 1 while the server runs on CPU
 *     0; the server's RSS per idle connection; then SIGTERM: the time until
 *     the server has exited, and its exit code; then the same for the peer,
 *     a Node `net` echo server that shuts down alike (closes every
 *     connection, then exits by itself), and the ratios. `--docs FILE`
 *     writes the table into FILE's generated section.
 *
 * Usage: node dist/bench/closeCost.js [--backend uring] [--dispatch post-reactive]
 *          [--cycles 3000] [--rounds 6] [--idle 10000] [--shutdown 10000,50000] [--silent]
 *          [--docs docs/benchmarks.md] [--help]
 * Raises its own RLIMIT_NOFILE (prlimit); more than ~28,000 connections
 * use several loopback source addresses (127.0.0.2, …).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeGeneratedSection } from './lib/docs';
import { pinned } from './lib/processes';

const { values } = parseArgs({
  options: {
    backend: { type: 'string' },
    dispatch: { type: 'string', default: 'post-reactive' },
    cycles: { type: 'string', default: '3000' },
    idle: { type: 'string', default: '10000' },
    shutdown: { type: 'string', default: '10000,50000' },
    concurrency: { type: 'string', default: '32' },
    /** Blocks of cycles, alternating between the two servers. */
    rounds: { type: 'string', default: '6' },
    /** Idle clients send nothing at all (not even their one empty line). */
    silent: { type: 'boolean', default: false },
    /** Writes the shutdown table into this file's generated section (docs/benchmarks.md). */
    docs: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'usage: node dist/bench/closeCost.js [--backend uring|epoll|aio] [--dispatch post-reactive|call-through]\n' +
      '         [--cycles 3000 (0: skip the per-close part)] [--rounds 6] [--idle 10000] [--shutdown 10000,50000]\n' +
      '         [--concurrency 32] [--silent] [--docs docs/benchmarks.md]\n',
  );
  process.exit(0);
}
if (values.dispatch !== 'post-reactive' && values.dispatch !== 'call-through') {
  // A pool's threads would share the one CPU the server is pinned to, and
  // SIGUSR2 (the collected figure) reaches only the main thread's heap.
  process.stderr.write(`closeCost: --dispatch must be post-reactive or call-through, got '${values.dispatch}' (a pool's threads would share the server's one CPU, and its heaps are not collected on signal)\n`);
  process.exit(2);
}
const NOFILE = 240_000;
/** The shutdown runs: the server on one CPU, the connection holder on another (where there is one). */
const SERVER_CPU = 0;
const LOAD_CPU = availableParallelism() > 1 ? 1 : undefined;
/** Connections per loopback source address (below the ephemeral port range's size). */
const PER_SOURCE = 20_000;
const STEP_TIMEOUT_MS = 120_000;

/** CPU nanoseconds of every thread of pid. */
function cpuNs(pid: number): number {
  let total = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return total;
}

/** Raises this process's RLIMIT_NOFILE as far as allowed; returns the limit now in force. */
function raiseNofile(pid: number): number {
  for (const limit of [`${NOFILE}:${NOFILE}`, 'unlimited']) {
    try {
      execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit === 'unlimited' ? hardNofile() : limit}`], { stdio: 'ignore' });
      break;
    } catch {
      // not allowed (no CAP_SYS_RESOURCE): the hard limit is the most
    }
  }
  return Number(execFileSync('prlimit', ['--pid', String(pid), '--nofile', '--output', 'SOFT', '--noheadings']).toString().trim());
}

function hardNofile(): string {
  const hard = execFileSync('prlimit', ['--pid', String(process.pid), '--nofile', '--output', 'HARD', '--noheadings']).toString().trim();
  return `${hard}:${hard}`;
}

interface Server {
  child: ChildProcess;
  port: number;
  /** The example server's backend, from its listening line ('' for the peer). */
  backend: string;
  exited: Promise<number | null>;
}

/** The example server, or (peer) the Node `net` echo server that shuts down alike. */
async function startServer(peer = false, cpu?: number): Promise<Server> {
  // Idle connections stay for as long as the bench needs them.
  const args = peer
    ? [join(__dirname, 'servers/netEchoServer.js'), '--graceful']
    : [join(__dirname, '../applications/example_proactor/MainServer.js'), '--port', '0', '--dispatch', values.dispatch!, '--idle-timeout', '0'];
  if (values.backend && !peer) args.push('--backend', values.backend);
  // Started by this process, it inherits the raised limit.
  // SIGUSR2 makes it collect (bench/lib/collectOnSignal.ts), for the RSS without garbage.
  const [command, argv] = pinned(cpu, process.execPath, ['--require', join(__dirname, 'lib', 'collectOnSignal.js'), ...args]);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  const listening = peer ? /^(\d+)\n/ : /listening on [^\s]*:(\d+)/;
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = listening.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening: ${out}`)));
  });
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  void exited.then(() => {
    const summary = /stopped: .*/.exec(out);
    if (summary) console.log(`    server: ${summary[0]}`);
  });
  return { child, port, backend: /\(backend (\w+)/.exec(out)?.[1] ?? '', exited };
}

function connect(port: number, index: number): Promise<net.Socket> {
  const localAddress = `127.0.0.${2 + Math.floor(index / PER_SOURCE)}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * n connections that each send one empty line, then nothing; a batch at a
 * time, each waited for until the server has accepted it (a full listen
 * queue would drop a silent client's handshake).
 */
async function openIdle(server: Server, baseline: number, n: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  const width = 256;
  for (let i = 0; i < n; i += width) {
    const batch: Promise<net.Socket>[] = [];
    for (let j = i; j < Math.min(n, i + width); j++) batch.push(connect(server.port, j));
    for (const s of await Promise.all(batch)) {
      s.on('error', () => undefined);
      s.resume();
      if (!values.silent) s.write('\n');
      sockets.push(s);
    }
    await accepted(server, baseline, sockets.length);
  }
  return sockets;
}

/** One cycle: connect, half-close, wait for the server's close. */
async function cycle(port: number): Promise<void> {
  const socket = await connect(port, 0);
  await new Promise<void>((resolve) => {
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    socket.resume();
    socket.end();
  });
}

/**
 * Server CPU per cycle over one block of cycles. The block ends when every
 * client has seen its close; the settle lets the server finish the closes.
 */
async function blockNs(server: Server, cycles: number): Promise<number> {
  const before = cpuNs(server.child.pid!);
  await runCycles(server.port, cycles, Number(values.concurrency));
  await settle();
  return (cpuNs(server.child.pid!) - before) / cycles;
}

/**
 * Per-close CPU of the two servers, in rounds that alternate between them
 * (and alternate which goes first), so that what else the machine does
 * falls on both alike: the ratio is the median of the rounds' ratios.
 */
async function interleaved(alone: Server, crowded: Server, cycles: number, rounds: number): Promise<{ alone: number; crowded: number; ratios: number[] }> {
  const block = Math.max(1, Math.ceil(cycles / rounds));
  // Warm both up first.
  await runCycles(alone.port, Math.min(200, block), Number(values.concurrency));
  await runCycles(crowded.port, Math.min(200, block), Number(values.concurrency));
  await settle();
  const a: number[] = [];
  const c: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      a.push(await blockNs(alone, block));
      c.push(await blockNs(crowded, block));
    } else {
      c.push(await blockNs(crowded, block));
      a.push(await blockNs(alone, block));
    }
  }
  return { alone: median(a), crowded: median(c), ratios: a.map((x, i) => c[i] / x).sort((x, y) => x - y) };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function runCycles(port: number, cycles: number, width: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cycles) {
      next++;
      await cycle(port);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 200));

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: over ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS))),
  ]);
}

async function closeCost(): Promise<void> {
  const cycles = Number(values.cycles);
  const idle = Number(values.idle);
  const rounds = Math.max(1, Number(values.rounds));
  // Two servers, alike but for the idle connections one of them holds.
  const alone = await startServer();
  const crowded = await startServer();
  try {
    const rssStart = rssBytes(crowded.child.pid!);
    const baseline = fs.readdirSync(`/proc/${crowded.child.pid}/fd`).length;
    const rssBefore = rssBytes(crowded.child.pid!);
    const sockets = await withTimeout(openIdle(crowded, baseline, idle), `${idle} idle connections`);
    await settle();
    const rssIdle = rssBytes(crowded.child.pid!);
    const cost = await withTimeout(interleaved(alone, crowded, cycles, rounds), 'cycles');
    const ratio = median(cost.ratios);
    const spread = `${cost.ratios[0].toFixed(2)}–${cost.ratios[cost.ratios.length - 1].toFixed(2)}`;
    console.log(
      `per-close server CPU, median of ${rounds} interleaved rounds: ${(cost.alone / 1e6).toFixed(3)} ms with 0 idle, ` +
        `${(cost.crowded / 1e6).toFixed(3)} ms with ${idle} idle (ratio ${ratio.toFixed(2)}; rounds ${spread})`,
    );
    console.log(`server RSS: ${mb(rssStart)} MB at start, ${((rssIdle - rssBefore) / idle / 1024).toFixed(1)} KB per idle connection (${idle})`);
    for (const s of sockets) s.destroy();
    await withTimeout(accepted(crowded, baseline, 0, true), 'connections closed');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    console.log(`server RSS 2 s after the ${idle} connections closed: ${mb(rssBytes(crowded.child.pid!))} MB`);
  } finally {
    for (const server of [alone, crowded]) server.child.kill('SIGTERM');
    await Promise.all([alone.exited, crowded.exited]);
  }
}

/** Waits until the server has n connections beyond its baseline of open fds (at most n, with atMost). */
async function accepted(server: Server, baseline: number, n: number, atMost = false): Promise<void> {
  for (;;) {
    const open = fs.readdirSync(`/proc/${server.child.pid}/fd`).length - baseline;
    if (atMost ? open <= n : open >= n) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);

/** What holding n idle connections and then shutting down cost one server. */
interface Shutdown {
  n: number;
  /** The server's backend ('' for the peer). */
  backend: string;
  seconds: number;
  code: number | null;
  /** RSS growth per idle connection, bytes, as it is 1.5 s after the last connection. */
  bytesPerConnection: number;
  /** The same with the server's garbage collected (and malloc trimmed) before each reading. */
  retainedPerConnection: number;
}

/** Asks a server started with collectOnSignal to collect, and gives it time to. */
async function collect(pid: number): Promise<void> {
  process.kill(pid, 'SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

/**
 * n idle connections, held by a connectionHolder process on CPU 1 while
 * the server runs on CPU 0, then SIGTERM: seconds until the server has
 * exited, as this process (which holds no connection and has nothing else
 * to do) sees it, and what the connections cost in RSS.
 */
async function shutdownOnce(n: number, peer: boolean): Promise<Shutdown> {
  const server = await startServer(peer, SERVER_CPU);
  const pid = server.child.pid!;
  const baseline = fs.readdirSync(`/proc/${pid}/fd`).length;
  await settle();
  const rssBefore = rssBytes(pid);
  await collect(pid);
  const rssBeforeCollected = rssBytes(pid);
  const [command, args] = pinned(LOAD_CPU, process.execPath, [join(__dirname, 'connectionHolder.js'), '--port', String(server.port), '--count', String(n), ...(values.silent ? ['--silent'] : [])]);
  const holder = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const holderExited = new Promise<number | null>((resolve) => holder.on('exit', (code) => resolve(code)));
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        let out = '';
        holder.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes(`ready ${n}\n`)) resolve();
        });
        void holderExited.then((code) => reject(new Error(`the connection holder exited (${code}) before it held ${n}`)));
      }),
      `${n} idle connections`,
    );
    await withTimeout(accepted(server, baseline, n), `the server to accept ${n}`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const bytesPerConnection = (rssBytes(pid) - rssBefore) / n;
    await collect(pid);
    const retainedPerConnection = (rssBytes(pid) - rssBeforeCollected) / n;
    const start = process.hrtime.bigint();
    server.child.kill('SIGTERM');
    const code = await withTimeout(server.exited, 'the server to exit');
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { n, backend: server.backend, seconds, code, bytesPerConnection, retainedPerConnection };
  } finally {
    holder.stdin!.end();
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await Promise.all([holderExited, server.exited]);
    await settle();
  }
}

/** Shutdown with n open, the example server's and then the net peer's. */
async function shutdownTime(n: number): Promise<[Shutdown, Shutdown]> {
  const ours = await shutdownOnce(n, false);
  console.log(
    `shutdown with ${n} open: ${ours.seconds.toFixed(2)} s, exit code ${ours.code} (${((ours.seconds / n) * 1e6).toFixed(0)} µs per connection); ` +
      `RSS per idle connection ${(ours.bytesPerConnection / 1024).toFixed(2)} KiB, ${(ours.retainedPerConnection / 1024).toFixed(2)} KiB with garbage collected`,
  );
  const net = await shutdownOnce(n, true);
  console.log(
    `  Node net, closing its ${n} the same way: ${net.seconds.toFixed(2)} s, exit code ${net.code}; ` +
      `RSS per idle connection ${(net.bytesPerConnection / 1024).toFixed(2)} KiB, ${(net.retainedPerConnection / 1024).toFixed(2)} KiB with garbage collected; ` +
      `example server ÷ net: shutdown ${(ours.seconds / net.seconds).toFixed(2)}, memory ${(ours.bytesPerConnection / net.bytesPerConnection).toFixed(2)} ` +
      `(collected ${(ours.retainedPerConnection / net.retainedPerConnection).toFixed(2)})`,
  );
  return [ours, net];
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KiB`;

/** The markdown table of the shutdown runs, for docs/benchmarks.md. */
function shutdownTable(rows: [Shutdown, Shutdown][], most: number, skipped: number[]): string {
  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short=10', 'HEAD'], { cwd: join(__dirname, '..', '..') }).toString().trim();
    } catch {
      return 'unknown';
    }
  })();
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC at commit ${commit}, Node ${process.version}: the example server ` +
      `(backend ${rows[0][0].backend || values.backend || 'default'}, dispatch ${values.dispatch}) and a Node \`net\` echo server that shuts down alike, each in turn on CPU 0, ` +
      `the connections held by another process${LOAD_CPU === undefined ? " (not pinned: one CPU)" : ` on CPU ${LOAD_CPU}`}${values.silent ? ' (silent: not one byte sent)' : ', each having echoed one empty line'}. ` +
      'Shutdown: from `SIGTERM` to the exit, seen by a process that holds no connection. Per idle connection: the RSS growth with the connections open, ' +
      'divided by them, 1.5 s after the last one (as it is), and again with both readings taken after the server had collected its garbage and trimmed malloc ' +
      '(`releaseMemory()`, preloaded into both servers by bench/lib/collectOnSignal.ts): what the connections themselves hold.',
    '',
    '| Connections open | Shutdown, example server | `net` | × `net` | Per idle connection, example server | `net` | × `net` | The same, collected | `net` | × `net` | Exit codes |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map(
      ([o, p]) =>
        `| ${o.n.toLocaleString('en-US')} | ${o.seconds.toFixed(2)} s (${((o.seconds / o.n) * 1e6).toFixed(0)} µs each) | ${p.seconds.toFixed(2)} s | ${(o.seconds / p.seconds).toFixed(2)}× | ` +
        `${kib(o.bytesPerConnection)} | ${kib(p.bytesPerConnection)} | ${(o.bytesPerConnection / p.bytesPerConnection).toFixed(2)}× | ` +
        `${kib(o.retainedPerConnection)} | ${kib(p.retainedPerConnection)} | ${(o.retainedPerConnection / p.retainedPerConnection).toFixed(2)}× | ${o.code}, ${p.code} |`,
    ),
  ];
  if (skipped.length > 0) {
    lines.push('', `Not run: ${skipped.map((n) => n.toLocaleString('en-US')).join(', ')} open, more than the ${most.toLocaleString('en-US')} connections this machine's fd limit lets one process hold (raising its hard limit needs \`CAP_SYS_RESOURCE\`).`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const nofile = raiseNofile(process.pid);
  const most = nofile - 200;
  console.log(`example_proactor server, dispatch ${values.dispatch}${values.backend ? `, backend ${values.backend}` : ''}`);
  if (Number(values.cycles) > 0) await closeCost();
  const rows: [Shutdown, Shutdown][] = [];
  const skipped: number[] = [];
  for (const n of values.shutdown!.split(',').filter(Boolean).map(Number)) {
    if (n > most) {
      console.log(`shutdown with ${n} open: skipped, RLIMIT_NOFILE is ${nofile} here (raising it needs CAP_SYS_RESOURCE)`);
      skipped.push(n);
    } else rows.push(await shutdownTime(n));
  }
  if (values.docs !== undefined && rows.length > 0) {
    writeGeneratedSection(values.docs, shutdownTable(rows, most, skipped), 'shutdown', 'node dist/bench/closeCost.js --docs docs/benchmarks.md');
    console.log(`wrote the shutdown table into ${values.docs}`);
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.message);
    process.exit(1);
  },
);
