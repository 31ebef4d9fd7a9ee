import { connect } from 'node:net';
import { join } from 'node:path';
import { InetAddr } from '../../framework/common/InetAddr';
import { AsynchConnector } from '../../framework/proactor/AsynchConnector';
import { Proactor } from '../../framework/proactor/Proactor';
import { type ProactorPool as ProactorPoolType } from '../../framework/proactor/ProactorPool';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { EchoClient, type EchoTally } from '../support/EchoClient';
import { type EchoThreadCounts, type EchoThreadOptions } from '../support/echoPoolThread';
import { expectNoFdLeaks } from '../support/leaks';
import { noReusePort, skipNote } from '../support/platform';

// Worker threads run compiled JavaScript: the pool and its services come from dist/.
const dist = join(__dirname, '..', '..', 'dist');
const { ProactorPool } = require(join(dist, 'framework')) as { ProactorPool: typeof ProactorPoolType };
const ECHO_THREAD = join(dist, 'test', 'support', 'echoPoolThread.js');

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

function echoThreadPool(backend: string, threads: number, options: Partial<EchoThreadOptions> = {}): ProactorPoolType<EchoThreadCounts> {
  return new ProactorPool<EchoThreadCounts>({
    threads,
    address: new InetAddr(0, '127.0.0.1'),
    backlog: 64,
    threadModule: ECHO_THREAD,
    threadExport: 'openEchoThread',
    threadOptions: { label: 'echo', failOpenOn: -1, failStopOn: -1, ...options } satisfies EchoThreadOptions,
    proactor: { backend },
  });
}

(noReusePort ? describe.skip : describe).each(backends)(`a thread pool of %s proactors${skipNote(noReusePort)}`, (backend) => {
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
      });
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

  describe('given a thread module', () => {
    it('should open its service in every thread on the shared port, run its loop there and return its counts', async () => {
      const CONNECTIONS = 40;
      const MESSAGES = 20;
      const pool = echoThreadPool(backend, 2);
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
      const pool = echoThreadPool(backend, 3, { failOpenOn: 1 });
      await expect(pool.start()).rejects.toThrow('ProactorPool thread 1: thread 1 will not open');
      expect(pool.threadInfo()).toEqual([]);
      expect(await pool.stop()).toEqual([]);
    }, 60000);

    it('should reject stop(), naming the thread, when a service fails to stop, and still end every thread', async () => {
      const pool = echoThreadPool(backend, 2, { failStopOn: 1 });
      const address = await pool.start();
      await expect(pool.stop()).rejects.toThrow('ProactorPool: thread 1: thread 1 will not stop');
      // Both listening sockets are closed: nothing accepts on the port any more.
      expect(await connectOutcome(address)).toBe('ECONNREFUSED');
    }, 60000);

    it('should reject start() when the module has no such export', async () => {
      const pool = new ProactorPool({ threads: 2, address: new InetAddr(0, '127.0.0.1'), threadModule: ECHO_THREAD, threadExport: 'nothing' });
      await expect(pool.start()).rejects.toThrow(`ProactorPool thread 0: ${ECHO_THREAD} has no function export 'nothing'`);
    });
  });
});
