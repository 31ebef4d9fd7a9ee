import { InetAddr } from '../../framework/common/InetAddr';
import { AsynchAcceptor } from '../../framework/proactor/AsynchAcceptor';
import { AsynchConnector } from '../../framework/proactor/AsynchConnector';
import { type NativeProactorImpl } from '../../framework/proactor/NativeProactorImpl';
import { Proactor } from '../../framework/proactor/Proactor';
import { type DispatchStrategy, type ProactorOptions } from '../../framework/proactor/ProactorOptions';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { EchoClient, type EchoTally } from '../support/EchoClient';
import { type EchoBuffers, EchoService, type EchoStats } from '../../applications/echo/EchoService';
import { expectNoFdLeaks } from '../support/leaks';

const CONNECTIONS = Number(process.env.ECHO_CONNECTIONS ?? 100);
const MESSAGES = Number(process.env.ECHO_MESSAGES ?? 200);
/**
 * Messages per connection on a backend. aio runs the same case on a tenth
 * of the messages: each of its completions is a thread that glibc creates
 * while holding its aio lock (SIGEV_THREAD), so the full load takes minutes,
 * not seconds (docs/design.md §6, docs/benchmarks.md).
 */
const messagesOn = (backend: string): number => (backend === 'aio' ? Math.ceil(MESSAGES / 10) : MESSAGES);

expectNoFdLeaks();

/**
 * The server's fast paths, each run through the same echo: the plain
 * configuration, then the kernel-side options a backend may have. A
 * backend without one skips that case, saying so.
 */
interface FastPaths {
  name: string;
  options: ProactorOptions;
  buffers: 'own' | 'registered' | 'ring';
  /** The verb the backend needs for this case. */
  needs?: 'readFixed' | 'recvMultishot' | 'sendZc';
  /** Bytes of each service's own block, when not the default. */
  blockSize?: number;
  /** Messages per connection divided by this (small blocks take many more completions per message). */
  fewerMessages?: number;
}

const PLAIN: FastPaths = { name: 'plain', options: {}, buffers: 'own' };
const FAST_PATHS: FastPaths[] = [
  // Fewer registered blocks and file slots than connections: the rest fall back.
  { name: 'registered buffers + fixed files', options: { bufferPool: { count: 64 }, fixedFiles: 150 }, buffers: 'registered', needs: 'readFixed' },
  // 64 ring buffers shared by 100 connections: readers wait for buffers to come back.
  { name: 'multishot reads from a shared buffer ring', options: {}, buffers: 'ring', needs: 'recvMultishot' },
  { name: 'zero-copy sends', options: { zeroCopySendThreshold: 16 * 1024 }, buffers: 'own', needs: 'sendZc' },
  // Blocks smaller than most messages: each message is echoed read by read.
  { name: 'own 16 KiB blocks', options: {}, buffers: 'own', blockSize: 16 * 1024, fewerMessages: 4 },
];

const cases = backends.flatMap((backend) => [
  ...(['post-reactive', 'call-through'] as DispatchStrategy[]).map((strategy) => [backend, strategy, PLAIN] as const),
  ...FAST_PATHS.map((paths) => [backend, 'post-reactive' as DispatchStrategy, paths] as const),
]);

describe.each(cases)('echo over loopback on %s, %s', (backend, strategy, paths) => {
  const probe = new Proactor({ backend });
  const missing = paths.needs !== undefined && !probe.implementation().supports(paths.needs);
  void probe.close();
  // A backend without the feature skips the case: it has nothing to test.
  const test = missing ? it.skip : it;

  const messages = Math.ceil(messagesOn(backend) / (paths.fewerMessages ?? 1));
  test(`should echo ${messages} messages of 1 B..256 KiB on each of ${CONNECTIONS} connections, every byte checked (${paths.name}${missing ? `: ${backend} lacks ${paths.needs}` : ''})`, async () => {
    const proactor = new Proactor({ backend, ...paths.options });
    const stats: EchoStats = { opened: 0, closed: 0, bytes: 0 };
    const tally: EchoTally = { done: 0, failed: [], messages: 0, bytes: 0 };
    const buffers: EchoBuffers = paths.buffers === 'ring' ? proactor.createBufferRing({ count: 64, size: 16 * 1024 }) : paths.buffers;

    const acceptor = new AsynchAcceptor<EchoService>();
    acceptor.open(new InetAddr(0, '127.0.0.1'), { proactor, makeHandler: () => new EchoService(stats, false, buffers, paths.blockSize) });
    const connector = new AsynchConnector<EchoClient>();
    let nextId = 0;
    connector.open({ proactor, makeHandler: () => new EchoClient(nextId++, messages, tally) });
    const address = acceptor.getLocalAddr();
    for (let i = 0; i < CONNECTIONS; i++) connector.connect(address);

    // The acceptor closes while dispatch still runs: its close is itself a completion.
    let acceptorClosed = false;
    const finished = () => tally.done === CONNECTIONS && stats.closed === CONNECTIONS && acceptorClosed;
    const closeAcceptorWhenDone = () => {
      if (tally.done === CONNECTIONS && stats.closed === CONNECTIONS && !closing) {
        closing = true;
        void acceptor.close().then(() => (acceptorClosed = true));
      }
      return finished();
    };
    let closing = false;
    const state = () => JSON.stringify({ tally: { ...tally, failed: tally.failed.slice(0, 3) }, stats, acceptorClosed });
    if (strategy === 'call-through') {
      await dispatchUntil(proactor, closeAcceptorWhenDone, () => `every client and service to finish (${state()})`, 60000);
    } else {
      const loop = proactor.proactorRunEventLoop('post-reactive');
      await new Promise<void>((resolve, reject) => {
        const limit = setTimeout(() => {
          clearInterval(poll);
          reject(new Error(`timed out: ${state()}`));
        }, 60000);
        const poll = setInterval(() => {
          if (!closeAcceptorWhenDone()) return;
          clearInterval(poll);
          clearTimeout(limit);
          resolve();
        }, 5);
      });
      proactor.proactorEndEventLoop();
      await loop;
    }

    expect(tally.failed).toEqual([]);
    expect(tally.messages).toBe(CONNECTIONS * messages);
    expect(stats.opened).toBe(CONNECTIONS);
    expect(stats.bytes).toBe(tally.bytes);
    expect(proactor.inflight()).toBe(0);
    // Every lent buffer and file slot came back.
    if (paths.buffers === 'registered') expect(proactor.bufferPool().available()).toBe(proactor.bufferPool().registered);
    if (typeof buffers === 'object') expect(buffers.held()).toBe(0);
    expect((proactor.implementation() as NativeProactorImpl).fixedFilesInUse()).toBe(0);
    await proactor.close();
  }, 90000);
});
