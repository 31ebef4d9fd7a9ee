import { InetAddr } from '../../framework/common/InetAddr';
import { AsynchAcceptor } from '../../framework/proactor/AsynchAcceptor';
import { AsynchConnector } from '../../framework/proactor/AsynchConnector';
import { Proactor } from '../../framework/proactor/Proactor';
import { type DispatchStrategy } from '../../framework/proactor/ProactorOptions';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { EchoClient, type EchoTally } from '../support/EchoClient';
import { EchoService, type EchoStats } from '../../applications/echo/EchoService';
import { expectNoFdLeaks } from '../support/leaks';

const CONNECTIONS = Number(process.env.ECHO_CONNECTIONS ?? 100);
const MESSAGES = Number(process.env.ECHO_MESSAGES ?? 200);

expectNoFdLeaks();

const cases = backends.flatMap((backend) =>
  (['post-reactive', 'call-through'] as DispatchStrategy[]).map((strategy) => [backend, strategy] as const),
);

describe.each(cases)('echo over loopback on %s, %s', (backend, strategy) => {
  it(`should echo ${MESSAGES} messages of 1 B..256 KiB on each of ${CONNECTIONS} connections, every byte checked`, async () => {
    const proactor = new Proactor({ backend });
    const stats: EchoStats = { opened: 0, closed: 0, bytes: 0 };
    const tally: EchoTally = { done: 0, failed: [], messages: 0, bytes: 0 };

    const acceptor = new AsynchAcceptor<EchoService>();
    acceptor.open(new InetAddr(0, '127.0.0.1'), { proactor, makeHandler: () => new EchoService(stats) });
    const connector = new AsynchConnector<EchoClient>();
    let nextId = 0;
    connector.open({ proactor, makeHandler: () => new EchoClient(nextId++, MESSAGES, tally) });
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
    expect(tally.messages).toBe(CONNECTIONS * MESSAGES);
    expect(stats.opened).toBe(CONNECTIONS);
    expect(stats.bytes).toBe(tally.bytes);
    expect(proactor.inflight()).toBe(0);
    await proactor.close();
  }, 90000);
});
