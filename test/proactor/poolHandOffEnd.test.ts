import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { type Worker } from 'node:worker_threads';
import { InetAddr } from '../../framework/common/InetAddr';
import { type ProactorPool as ProactorPoolType } from '../../framework/proactor/ProactorPool';
import { backends } from '../support/backends';
import { type EchoThreadCounts, type EchoThreadOptions } from '../support/echoPoolThread';

// Worker threads run compiled JavaScript: the pool and its services come from dist/.
const dist = join(__dirname, '..', '..', 'dist');
const { ProactorPool } = require(join(dist, 'framework')) as { ProactorPool: typeof ProactorPoolType };
const ECHO_THREAD = join(dist, 'test', 'support', 'echoPoolThread.js');

function closedByServer(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.on('error', () => undefined);
    socket.once('close', () => resolve());
    socket.resume();
  });
}

describe('a thread pool handing connections over, whose acceptor thread has died', () => {
  it('should still close, as it stops, the connections left in the rings of threads that never took them', async () => {
    const CONNECTIONS = 6;
    const pool = new ProactorPool<EchoThreadCounts>({
      threads: 2,
      accept: 'hand-off',
      address: new InetAddr(0, '127.0.0.1'),
      proactor: { backend: backends[0] },
      threadModule: ECHO_THREAD,
      threadExport: 'openEchoThread',
      threadOptions: { label: 'echo', failOpenOn: -1, failStopOn: -1, stallOn: 1 } satisfies EchoThreadOptions,
    });
    const address = await pool.start();
    const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => new Promise<Socket>((resolve, reject) => {
      const socket = connect(address.port, address.host);
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    })));
    const closed = clients.map(closedByServer);
    // Every connection handed over: half of them wait in the stalled thread's ring.
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The acceptor thread ends without its own clean-up (as a crash would).
    const acceptor = (pool as unknown as { handOff: { acceptor: Worker } }).handOff.acceptor;
    await acceptor.terminate();

    await pool.stop();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('not closed'), 5000)));
    const outcome = await Promise.race([Promise.all(closed).then(() => 'closed'), late]);
    clearTimeout(timer);
    for (const c of clients) c.destroy();
    expect(outcome).toBe('closed');
  }, 60000);
});
