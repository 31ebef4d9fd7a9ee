import { Acceptor, DEFAULT_TIMEOUTS } from '../../applications/example_proactor/Acceptor';
import { InetAddr } from '../../framework/common/InetAddr';
import { SockAcceptor } from '../../framework/common/SockAcceptor';
import { Proactor } from '../../framework/proactor/Proactor';
import { Reactor } from '../../framework/reactor/Reactor';

/** An Acceptor whose registry holds n connections; close() of the first `hanging` never settles. */
function acceptorWith(n: number, hanging: number): { acceptor: Acceptor; asked: () => number; most: () => number } {
  const acceptor = new Acceptor(undefined, DEFAULT_TIMEOUTS, 0);
  const handlers = (acceptor as unknown as { handlers: Set<{ close(): Promise<void> }> }).handlers;
  let asked = 0;
  let open = 0;
  let most = 0;
  for (let i = 0; i < n; i++) {
    handlers.add({
      close: () => {
        asked++;
        most = Math.max(most, ++open);
        if (i < hanging) return new Promise<void>(() => undefined);
        return new Promise<void>((resolve) => setImmediate(() => (open--, resolve())));
      },
    });
  }
  return { acceptor, asked: () => asked, most: () => most };
}

describe('Acceptor.closeAll', () => {
  afterEach(() => jest.useRealTimers());

  it('should ask every connection to close by the end of the grace, though the first 256 closes never settle', async () => {
    const { acceptor, asked } = acceptorWith(1000, 256);
    const summary = await acceptor.shutDown(50);
    expect(asked()).toBe(1000);
    // The fakes never leave the registry: every one is still counted open.
    expect(summary.leftOpen).toBe(1000);
  });

  it('should open another window when no close settles for a while, and stop watching once every close has started', async () => {
    jest.useFakeTimers();
    const { acceptor, asked } = acceptorWith(300, 256);
    let settled = false;
    void acceptor.closeAll().then(() => (settled = true));
    await Promise.resolve();
    expect(asked()).toBe(256);
    jest.advanceTimersByTime(250);
    expect(asked()).toBe(300);
    await jest.advanceTimersByTimeAsync(1000);
    // The 256 never settle, so neither does closeAll; nothing else is left to start.
    expect(settled).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('should keep to one window while closes settle, and settle when all have', async () => {
    const { acceptor, asked, most } = acceptorWith(600, 0);
    await acceptor.closeAll();
    expect(asked()).toBe(600);
    expect(most()).toBe(256);
  });

  it('should settle at once with nothing open', async () => {
    const { acceptor, asked } = acceptorWith(0, 0);
    await acceptor.closeAll();
    expect(asked()).toBe(0);
  });
});

describe('Acceptor.open and its buffer ring', () => {
  const probe = new Proactor({ backend: 'uring' });
  const rings = probe.implementation().supports('recvMultishot');
  void probe.close();

  (rings ? it : it.skip)(`should make no ring for a failed open, and a new one for another proactor${rings ? '' : " (this kernel's io_uring has no buffer rings)"}`, async () => {
    const reactor = new Reactor();
    const taken = new SockAcceptor();
    taken.open(new InetAddr(0, '127.0.0.1'));
    const first = new Proactor({ backend: 'uring' });
    const second = new Proactor({ backend: 'uring' });
    const acceptor = new Acceptor(undefined, DEFAULT_TIMEOUTS, 0);
    try {
      expect(() => acceptor.open(new InetAddr(taken.getLocalAddr().port, '127.0.0.1'), reactor, first)).toThrow(/EADDRINUSE/);
      expect(acceptor.ring()).toBeUndefined();
      acceptor.open(new InetAddr(0, '127.0.0.1'), reactor, first);
      const ring = acceptor.ring();
      expect(ring).toBeDefined();
      acceptor.close();
      acceptor.open(new InetAddr(0, '127.0.0.1'), reactor, first);
      expect(acceptor.ring()).toBe(ring);
      acceptor.close();
      await first.close();
      acceptor.open(new InetAddr(0, '127.0.0.1'), reactor, second);
      expect(acceptor.ring()).toBeDefined();
      expect(acceptor.ring()).not.toBe(ring);
    } finally {
      acceptor.close();
      taken.close();
      await first.close();
      await second.close();
      await reactor.close();
    }
  });
});
