import { connect, type Socket } from 'node:net';
import { Acceptor, DEFAULT_TIMEOUTS } from '../../applications/example_proactor/Acceptor';
import { InetAddr } from '../../framework/common/InetAddr';
import { SockAcceptor } from '../../framework/common/SockAcceptor';
import { Proactor } from '../../framework/proactor/Proactor';
import { Reactor } from '../../framework/reactor/Reactor';
import { backends } from '../support/backends';

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

describe.each(backends)('Acceptor.open and its buffer ring on the %s backend', (backend) => {
  const probe = new Proactor({ backend });
  const rings = probe.implementation().supports('recvMultishot');
  void probe.close();

  (rings ? it : it.skip)(`should make no ring for a failed open, and a new one for another proactor${rings ? '' : ` (${backend} has no buffer rings)`}`, async () => {
    const reactor = new Reactor();
    const taken = new SockAcceptor();
    taken.open(new InetAddr(0, '127.0.0.1'));
    const first = new Proactor({ backend });
    const second = new Proactor({ backend });
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

/** Dispatches the reactor and the proactors until done(). */
async function drive(reactor: Reactor, proactors: Proactor[], done: () => boolean, what: () => string, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    reactor.handleEvents(0);
    for (const p of proactors) p.handleEvents(2);
    await new Promise((r) => setImmediate(r));
  }
}

describe.each(backends)('Acceptor.open refused while open, on the %s backend', (backend) => {
  it('should go on serving new connections on the proactor it had', async () => {
    const reactor = new Reactor();
    const first = new Proactor({ backend });
    const second = new Proactor({ backend });
    const acceptor = new Acceptor(undefined, DEFAULT_TIMEOUTS, 0);
    const sockets: Socket[] = [];
    try {
      acceptor.open(new InetAddr(0, '127.0.0.1'), reactor, first);
      const ring = acceptor.ring();
      expect(() => acceptor.open(new InetAddr(0, '127.0.0.1'), reactor, second)).toThrow(/already open/);
      expect(acceptor.ring()).toBe(ring);
      const client = connect(acceptor.getLocalAddr().port, '127.0.0.1');
      sockets.push(client);
      let got = '';
      let ended = false;
      client.on('data', (d) => (got += d.toString()));
      client.on('close', () => (ended = true));
      client.on('error', () => undefined);
      client.write('hello\n');
      await drive(reactor, [first, second], () => got.includes('\n') || ended, () => `a reply (got ${JSON.stringify(got)}, closed ${ended})`);
      expect({ reply: got, closed: ended }).toEqual({ reply: 'Echo - hello\n', closed: false });
      expect(second.inflight()).toBe(0);
    } finally {
      for (const s of sockets) s.destroy();
      let stopped = false;
      void acceptor.shutDown(5000).then(() => (stopped = true));
      await drive(reactor, [first, second], () => stopped, () => 'the shutdown');
      await first.close();
      await second.close();
      await reactor.close();
    }
  });
});

describe.each(backends)('Acceptor re-opened on the same proactor after shutDown(), on the %s backend', (backend) => {
  it('should close an idle connection after the idle timeout, as it did before the shutdown', async () => {
    const reactor = new Reactor();
    const proactor = new Proactor({ backend });
    const acceptor = new Acceptor(undefined, { idleMs: 200, lineMs: 0 }, 0);
    const sockets: Socket[] = [];
    const idleClosed = async (): Promise<void> => {
      const client = connect(acceptor.getLocalAddr().port, '127.0.0.1');
      sockets.push(client);
      let closed = false;
      client.on('close', () => (closed = true));
      client.on('error', () => undefined);
      await drive(reactor, [proactor], () => closed, () => `the idle connection to be closed by the server (timedOut ${acceptor.stats.timedOut})`);
    };
    const shutDown = async (): Promise<void> => {
      let stopped = false;
      void acceptor.shutDown(1000).then(() => (stopped = true));
      await drive(reactor, [proactor], () => stopped, () => 'the shutdown');
    };
    try {
      acceptor.open(new InetAddr(0, '127.0.0.1'), reactor, proactor);
      await idleClosed();
      expect(acceptor.stats.timedOut).toBe(1);
      await shutDown();
      acceptor.open(new InetAddr(0, '127.0.0.1'), reactor, proactor);
      await idleClosed();
      expect(acceptor.stats.timedOut).toBe(2);
    } finally {
      for (const s of sockets) s.destroy();
      await shutDown().catch(() => undefined);
      await proactor.close();
      await reactor.close();
    }
  });
});
