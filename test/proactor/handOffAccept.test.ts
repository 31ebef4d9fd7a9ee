import { HandOffInbox } from '../../framework/common/HandOffInbox';
import { HandOffRing } from '../../framework/common/HandOffRing';
import { InetAddr } from '../../framework/common/InetAddr';
import { Errno } from '../../framework/common/errno';
import { loadNative } from '../../framework/native/loadNative';
import { AsynchAcceptor } from '../../framework/proactor/AsynchAcceptor';
import { Proactor } from '../../framework/proactor/Proactor';
import { ServiceHandler } from '../../framework/proactor/ServiceHandler';
import { type AsynchAcceptResult } from '../../framework/proactor/results/AsynchAcceptResult';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks } from '../support/leaks';

expectNoFdLeaks();

/** An acceptor that counts its completions by error. */
class CountingAcceptor extends AsynchAcceptor<ServiceHandler> {
  readonly errors: number[] = [];
  override handleAccept(result: AsynchAcceptResult): void {
    this.errors.push(result.error);
    super.handleAccept(result);
  }
}

/** This thread's inbox on a fresh doorbell pair; returns the pool's end of the doorbell. */
function installInbox(address: InetAddr): number {
  const pair = loadNative().socket.pair();
  if (typeof pair === 'number') throw new Error(`socketpair: ${pair}`);
  HandOffInbox.install({ host: address.host, port: address.port, doorbell: pair[1], ring: HandOffRing.create(4).memory });
  return pair[0];
}

describe.each(backends)('an AsynchAcceptor on a pool thread\'s doorbell, on %s', (backend) => {
  const address = new InetAddr(45321, '127.0.0.1');
  let proactor: Proactor;
  let bell: number;

  beforeEach(() => {
    proactor = new Proactor({ backend });
    bell = installInbox(address);
  });

  afterEach(async () => {
    HandOffInbox.uninstall();
    await proactor.close();
  });

  it('should stop accepting, not spin, once the pool has closed its end of the doorbell', async () => {
    const acceptor = new CountingAcceptor();
    acceptor.open(address, { proactor, reusePort: true, numberOfInitialAccepts: 2, makeHandler: () => new ServiceHandler() });
    loadNative().socket.close(bell);
    const until = Date.now() + 500;
    await dispatchUntil(proactor, () => Date.now() > until, 'half a second', 5000);
    // One failed completion per accept that was pending, then no more.
    expect(acceptor.errors.length).toBe(2);
    expect(acceptor.errors.every((e) => e !== 0 && e !== Errno.ECANCELED)).toBe(true);
    let closed = false;
    void acceptor.close().then(() => (closed = true));
    await dispatchUntil(proactor, () => closed, 'the close');
  });

  it('should complete an accept cancelled by close() once, with ECANCELED', async () => {
    const acceptor = new CountingAcceptor();
    acceptor.open(address, { proactor, reusePort: true, numberOfInitialAccepts: 1, makeHandler: () => new ServiceHandler() });
    const closed = acceptor.close();
    let done = false;
    void closed.then(() => (done = true));
    await dispatchUntil(proactor, () => done, 'the close');
    const until = Date.now() + 200;
    await dispatchUntil(proactor, () => Date.now() > until, 'a while');
    expect(acceptor.errors).toEqual([Errno.ECANCELED]);
    loadNative().socket.close(bell);
  });
});
