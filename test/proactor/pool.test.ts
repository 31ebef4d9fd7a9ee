import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { type ProactorError as ProactorErrorType } from '../../framework/common/ProactorError';
import { InetAddr } from '../../framework/common/InetAddr';
import { AsynchConnector } from '../../framework/proactor/AsynchConnector';
import { Proactor } from '../../framework/proactor/Proactor';
import { type PoolAcceptStrategy, type ProactorPool as ProactorPoolType } from '../../framework/proactor/ProactorPool';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { EchoClient, type EchoTally } from '../support/EchoClient';
import { type ServerSummary } from '../../applications/example_proactor/Acceptor';
import { type ServerThreadOptions } from '../../applications/example_proactor/PoolThread';
import { type EchoThreadCounts, type EchoThreadOptions } from '../support/echoPoolThread';
import { expectNoFdLeaks } from '../support/leaks';
import { noReusePort, skipNote } from '../support/platform';

// Worker threads run compiled JavaScript: the pool and its services come from dist/.
const dist = join(__dirname, '..', '..', 'dist');
const { ProactorPool, ProactorError } = require(join(dist, 'framework')) as { ProactorPool: typeof ProactorPoolType; ProactorError: typeof ProactorErrorType };
const ECHO_THREAD = join(dist, 'test', 'support', 'echoPoolThread.js');
const SERVER_THREAD = join(dist, 'applications', 'example_proactor', 'PoolThread.js');

expectNoFdLeaks();

/** Runs `connections` echo clients of `messages` messages each against address; returns their tally. */
async function echoThrough(address: InetAddr, backend: string, connections: number, messages: number): Promise<EchoTally> {
  const proactor = new Proactor({ backend });
  const tally: EchoTally = { done: 0, failed: [], messages: 0, bytes: 0 };
  const connector = new AsynchConnector<EchoClient>();
  let id = 0;
  connector.open({ proactor, makeHandler: () => new EchoClient(id++, messages, tally) });
  for (let i = 0; i < connections; i++) connector.connect(address);
  try {
    await dispatchUntil(proactor, () => tally.done === connections, () => `the clients (${JSON.stringify(tally)})`, 30000);
  } finally {
    await proactor.close();
  }
  return tally;
}

/** 'connected', or the error code of a TCP connect to address. */
function connectOutcome(address: InetAddr): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(address.port, address.host);
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e)));
  });
}

/** Opens count TCP connections to address; settles once all are connected. */
async function openClients(address: InetAddr, count: number): Promise<Socket[]> {
  return Promise.all(
    Array.from({ length: count }, () => new Promise<Socket>((resolve, reject) => {
      const socket = connect(address.port, address.host);
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    })),
  );
}

/** Sends one line on socket and settles with the line that comes back. */
function ask(socket: Socket, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      got += chunk;
      if (got.endsWith('\n')) resolve(got.slice(0, -1));
    });
    socket.once('error', reject);
    socket.write(`${line}\n`);
  });
}

/** Settles with promise, or rejects saying what did not happen within ms. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Settles once the server has closed socket (an end of stream or a reset). */
function closedByServer(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.on('error', () => undefined);
    socket.once('close', () => resolve());
    socket.resume();
  });
}

function echoThreadPool(backend: string, accept: PoolAcceptStrategy, threads: number, options: Partial<EchoThreadOptions> = {}): ProactorPoolType<EchoThreadCounts> {
  return new ProactorPool<EchoThreadCounts>({
    threads,
    accept,
    address: new InetAddr(0, '127.0.0.1'),
    backlog: 64,
    threadModule: ECHO_THREAD,
    threadExport: 'openEchoThread',
    threadOptions: { label: 'echo', failOpenOn: -1, failStopOn: -1, ...options } satisfies EchoThreadOptions,
    proactor: { backend },
  });
}

/** Each way connections reach the threads, with why it cannot run here (undefined: it can). */
const strategies: [PoolAcceptStrategy, string | undefined][] = [
  ['reuseport', noReusePort],
  ['hand-off', undefined],
];

describe.each(strategies)('a thread pool accepting by %s', (accept, why) => {
  (why ? describe.skip : describe).each(backends)(`of %s proactors${skipNote(why)}`, (backend) => {
    describe('given a ServiceHandler class', () => {
      it('should spread connections over its threads and echo every message', async () => {
        const CONNECTIONS = 40;
        const MESSAGES = 50;
        const pool = new ProactorPool({
          threads: 2,
          address: new InetAddr(0, '127.0.0.1'),
          serviceModule: join(dist, 'applications', 'echo', 'EchoService.js'),
          serviceExport: 'EchoService',
          serviceArgs: [{ opened: 0, closed: 0, bytes: 0 }],
          proactor: { backend },
          accept,
        });
        expect(pool.acceptStrategy()).toBe(accept);
        const address = await pool.start();
        expect(address.port).toBeGreaterThan(0);

        const tally = await echoThrough(address, backend, CONNECTIONS, MESSAGES);
        const summaries = await pool.stop();
        expect(tally.failed).toEqual([]);
        expect(tally.messages).toBe(CONNECTIONS * MESSAGES);
        expect(summaries.map((s) => s.thread).sort()).toEqual([0, 1]);
        expect(summaries.reduce((n, s) => n + s.accepted, 0)).toBe(CONNECTIONS);
        for (const s of summaries) expect(s.accepted).toBeGreaterThan(0);
      }, 60000);
    });

    describe('given a module without the named ServiceHandler export', () => {
      it('should fail start() as a caller\'s mistake (invalid-argument), naming the export, and leave nothing running', async () => {
        const pool = new ProactorPool({
          threads: 2,
          address: new InetAddr(0, '127.0.0.1'),
          serviceModule: join(dist, 'applications', 'echo', 'EchoService.js'),
          proactor: { backend },
          accept,
        });
        const failure = await pool.start().then(
          () => undefined,
          (e: unknown) => e,
        );
        await pool.stop().catch(() => undefined);
        expect(ProactorError.is(failure, 'invalid-argument')).toBe(true);
        expect((failure as Error).message).toMatch(/has no class export 'default' \(serviceExport names it/);
      }, 60000);
    });

    describe('given a thread module', () => {
      it('should open its service in every thread on the shared port, run its loop there and return its counts', async () => {
        const CONNECTIONS = 40;
        const MESSAGES = 20;
        const pool = echoThreadPool(backend, accept, 2);
        const address = await pool.start();
        expect(pool.threadInfo()).toEqual([
          { thread: 0, port: address.port, backend, details: { label: 'echo 0' } },
          { thread: 1, port: address.port, backend, details: { label: 'echo 1' } },
        ]);

        const tally = await echoThrough(address, backend, CONNECTIONS, MESSAGES);
        const summaries = await pool.stop();
        expect(tally.failed).toEqual([]);
        expect(summaries.map((s) => s.thread)).toEqual([0, 1]);
        expect(summaries.reduce((n, s) => n + s.accepted, 0)).toBe(CONNECTIONS);
        expect(summaries.reduce((n, s) => n + s.bytes, 0)).toBe(tally.bytes);
        for (const s of summaries) {
          expect(s.accepted).toBeGreaterThan(0);
          expect(s.rounds).toBeGreaterThan(0);
          expect(s.backlog).toBe(64);
        }
        expect(pool.threadInfo()).toEqual([]);
        expect(pool.localAddress()).toBeUndefined();
      }, 60000);

      it('should stop the threads already started when one cannot open, and reject saying which and why', async () => {
        const pool = echoThreadPool(backend, accept, 3, { failOpenOn: 1 });
        await expect(pool.start()).rejects.toThrow('ProactorPool thread 1: thread 1 will not open');
        expect(pool.threadInfo()).toEqual([]);
        expect(await pool.stop()).toEqual([]);
      }, 60000);

      it('should reject stop(), naming the thread, when a service fails to stop, and still end every thread', async () => {
        const pool = echoThreadPool(backend, accept, 2, { failStopOn: 1 });
        const address = await pool.start();
        await expect(pool.stop()).rejects.toThrow('ProactorPool: thread 1: thread 1 will not stop');
        // Both listening sockets are closed: nothing accepts on the port any more.
        expect(await connectOutcome(address)).toBe('ECONNREFUSED');
      }, 60000);

      it('should reject start() when the module has no such export', async () => {
        const pool = new ProactorPool({ threads: 2, address: new InetAddr(0, '127.0.0.1'), threadModule: ECHO_THREAD, threadExport: 'nothing', accept });
        const failure = await pool.start().then(
          () => undefined,
          (e: unknown) => e,
        );
        await pool.stop().catch(() => undefined);
        expect((failure as Error).message).toBe(`ProactorPool thread 0: ${ECHO_THREAD} has no function export 'nothing'`);
        expect(ProactorError.is(failure, 'invalid-argument')).toBe(true);
      });

      it('should serve every connection on the threads listening on its address when one listens elsewhere', async () => {
        const CONNECTIONS = 20;
        const pool = echoThreadPool(backend, accept, 2, { elsewhereOn: 1 });
        const address = await pool.start();
        expect(pool.threadInfo()[1].port).not.toBe(address.port);

        const tally = await echoThrough(address, backend, CONNECTIONS, 5);
        const summaries = await pool.stop();
        expect(tally.failed).toEqual([]);
        expect(summaries.map((s) => s.accepted)).toEqual([CONNECTIONS, 0]);
      }, 60000);

      it('should close, as it stops, the connections waiting for a thread that never accepts', async () => {
        const CONNECTIONS = 10;
        const pool = echoThreadPool(backend, accept, 2, { stallOn: 1 });
        const address = await pool.start();
        const clients = await openClients(address, CONNECTIONS);
        const closed = clients.map(closedByServer);
        // Every connection has reached a thread (or waits in the stalled one's backlog or ring).
        await new Promise((resolve) => setTimeout(resolve, 300));

        const summaries = await pool.stop();
        await within(20000, Promise.all(closed), 'every connection closed by the server');
        // Handed over in turn, half went to the thread that never took them.
        if (accept === 'hand-off') expect(summaries.map((s) => s.accepted)).toEqual([CONNECTIONS / 2, 0]);
        else expect(summaries[0].accepted).toBeLessThanOrEqual(CONNECTIONS);
        for (const c of clients) c.destroy();
      }, 60000);
    });

    describe("given the example server's thread module (a Reactor accepting, a Proactor serving)", () => {
      it('should answer every connection, on every thread', async () => {
        const CONNECTIONS = 10;
        const pool = new ProactorPool<ServerSummary>({
          threads: 2,
          accept,
          address: new InetAddr(0, '127.0.0.1'),
          proactor: { backend },
          threadModule: SERVER_THREAD,
          threadExport: 'openServerThread',
          threadOptions: { name: 'pool test', verbose: false, timeouts: { idleMs: 0, lineMs: 0 } } satisfies ServerThreadOptions,
        });
        const address = await pool.start();
        const clients = await openClients(address, CONNECTIONS);
        const replies = await within(20000, Promise.all(clients.map((c, i) => ask(c, `hello ${i}`))), 'the replies');
        const closed = clients.map(closedByServer);
        for (const c of clients) c.end();
        await within(20000, Promise.all(closed), 'every connection closed by the server');
        const summaries = await pool.stop();

        expect(replies).toEqual(clients.map((_, i) => `Echo - hello ${i}`));
        expect(summaries.reduce((n, s) => n + s.accepted, 0)).toBe(CONNECTIONS);
        expect(summaries.reduce((n, s) => n + s.lines, 0)).toBe(CONNECTIONS);
        for (const s of summaries) expect(s.accepted).toBeGreaterThan(0);
        for (const s of summaries) expect(s.leftOpen).toBe(0);
      }, 60000);
    });
  });
});
