import { join } from 'node:path';
import { InetAddr } from '../../framework/common/InetAddr';
import { AsynchConnector } from '../../framework/proactor/AsynchConnector';
import { Proactor } from '../../framework/proactor/Proactor';
import { type ProactorPool as ProactorPoolType } from '../../framework/proactor/ProactorPool';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { EchoClient, type EchoTally } from '../support/EchoClient';
import { expectNoFdLeaks } from '../support/leaks';

// Worker threads run compiled JavaScript: the pool and its service come from dist/.
const dist = join(__dirname, '..', '..', 'dist');
const { ProactorPool } = require(join(dist, 'framework')) as { ProactorPool: typeof ProactorPoolType };

expectNoFdLeaks();

describe.each(backends)('a thread pool of %s proactors', (backend) => {
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

    const proactor = new Proactor({ backend });
    const tally: EchoTally = { done: 0, failed: [], messages: 0, bytes: 0 };
    const connector = new AsynchConnector<EchoClient>();
    let id = 0;
    connector.open({ proactor, makeHandler: () => new EchoClient(id++, MESSAGES, tally) });
    for (let i = 0; i < CONNECTIONS; i++) connector.connect(address);
    await dispatchUntil(proactor, () => tally.done === CONNECTIONS, () => `the clients (${JSON.stringify(tally)})`, 30000);
    await proactor.close();

    const summaries = await pool.stop();
    expect(tally.failed).toEqual([]);
    expect(tally.messages).toBe(CONNECTIONS * MESSAGES);
    expect(summaries.map((s) => s.thread).sort()).toEqual([0, 1]);
    expect(summaries.reduce((n, s) => n + s.accepted, 0)).toBe(CONNECTIONS);
    for (const s of summaries) expect(s.accepted).toBeGreaterThan(0);
  }, 60000);
});
