import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { sleep, stop } from './processes';
import { type Paths, type ServerSpec, serverSpecs, startServer, variantSpec } from './servers';

/** Idle connections each memory server holds. */
export const IDLE_CONNECTIONS = 10_000;
/** The bytes each connection echoes once before it goes idle. */
const HELLO = 64;
/** Connections opened at a time, each waited for until echoed. */
const BATCH = 250;
/** How long the server is left alone before each reading of its RSS. */
const SETTLE_MS = 1500;
const STEP_TIMEOUT_MS = 120_000;

/** One server of the memory comparison. */
export interface MemorySpec {
  id: string;
  /** What holds a waiting connection's bytes. */
  what: string;
  server: ServerSpec;
}

/** What holding the idle connections cost one server. */
export interface MemoryResult {
  id: string;
  what: string;
  connections: number;
  rssBeforeBytes: number;
  rssIdleBytes: number;
  bytesPerConnection: number;
  failure?: string;
}

/** The servers compared: Node's net, the Reactor, and the io_uring Proactor with a block per connection or a shared ring. */
export function memorySpecs(paths: Paths, backends: readonly string[]): MemorySpec[] {
  const all = serverSpecs(paths, backends);
  const specs: MemorySpec[] = [{ id: 'net', what: 'Node `net`: each socket reading (libuv over epoll), a buffer allocated only when data arrives', server: all.find((s) => s.id === 'net')! }];
  const reactor = all.find((s) => s.id === 'reactor/epoll');
  if (reactor) specs.push({ id: reactor.id, what: 'the Reactor: READ_MASK on each socket, one 64 KiB block shared by all (a reactive read is synchronous)', server: reactor });
  if (backends.includes('uring')) {
    const block = all.find((s) => s.id === 'uring/post-reactive')!;
    specs.push({ id: 'uring/post-reactive 16 KiB block', what: 'the Proactor: a read in flight on each socket into its own 16 KiB MessageBlock',
      server: { ...block, id: 'uring/post-reactive+block16k', args: [...block.args, '--block-size', String(16 * 1024)] } });
    const ring = variantSpec(paths, 'uring/post-reactive+ring')!;
    specs.push({ id: 'uring/post-reactive+ring', what: 'the Proactor: a multishot read on each socket from one shared ring of 256 × 16 KiB buffers',
      server: { ...ring, args: [...ring.args, '--ring-count', '256'] } });
  }
  return specs;
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

const openFds = (pid: number): number => fs.readdirSync(`/proc/${pid}/fd`).length;

/**
 * Raises this process's RLIMIT_NOFILE to its hard limit (servers started
 * afterwards inherit it); returns the soft limit now in force.
 */
export function raiseNofile(): number {
  const query = (column: string) => Number(execFileSync('prlimit', ['--pid', String(process.pid), '--nofile', '--output', column, '--noheadings']).toString().trim());
  const hard = query('HARD');
  execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:${hard}`], { stdio: 'ignore' });
  return query('SOFT');
}

/** A connection that has echoed HELLO bytes once and waits, reading nothing more. */
function openOne(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let got = 0;
    socket.once('error', reject);
    socket.once('connect', () => socket.write(Buffer.alloc(HELLO, 0x61)));
    socket.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= HELLO) {
        socket.removeAllListeners('data');
        socket.removeListener('error', reject);
        socket.on('error', () => undefined);
        resolve(socket);
      }
    });
  });
}

async function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: over ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts the server, reads its RSS once it is listening and settled, opens
 * `connections` connections (each echoes 64 B once, then stays open and
 * silent, so every one has a read pending in the server), reads the RSS
 * again, and closes them.
 */
export async function measureMemory(spec: MemorySpec, connections: number, cpu: number | undefined, out: string): Promise<MemoryResult> {
  const result: MemoryResult = { id: spec.id, what: spec.what, connections, rssBeforeBytes: NaN, rssIdleBytes: NaN, bytesPerConnection: NaN };
  const server = await startServer(spec.server, cpu, path.join(out, `memory-${spec.server.id.replace(/\//g, '-')}.log`));
  const sockets: net.Socket[] = [];
  try {
    await sleep(SETTLE_MS);
    result.rssBeforeBytes = rssBytes(server.pid);
    const baseline = openFds(server.pid);
    await withTimeout((async () => {
      for (let i = 0; i < connections; i += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, connections - i) }, () => openOne(server.port));
        sockets.push(...(await Promise.all(batch)));
      }
    })(), `${connections} connections`);
    await sleep(SETTLE_MS);
    const held = openFds(server.pid) - baseline;
    if (held < connections) throw new Error(`the server holds ${held} connections of ${connections}`);
    result.rssIdleBytes = rssBytes(server.pid);
    result.bytesPerConnection = (result.rssIdleBytes - result.rssBeforeBytes) / connections;
  } catch (e) {
    result.failure = (e as Error).message;
  } finally {
    for (const s of sockets) s.destroy();
    await stop(server.child);
  }
  return result;
}
