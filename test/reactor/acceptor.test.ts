import { connect, type Socket } from 'node:net';
import { type Handle } from '../../framework/common/Handle';
import { InetAddr } from '../../framework/common/InetAddr';
import { Errno } from '../../framework/common/errno';
import { Acceptor } from '../../framework/reactor/Acceptor';
import { Reactor } from '../../framework/reactor/Reactor';
import { ReactorMask } from '../../framework/reactor/ReactorMask';
import { SvcHandler } from '../../framework/reactor/SvcHandler';
import { expectNoFdLeaks } from '../support/leaks';
import { reactorBackends, until } from './support';

expectNoFdLeaks();

/** Reactive echo: reads what is there, writes it back (waiting for WRITE_MASK when the socket is full). */
class Echo extends SvcHandler {
  static opened = 0;
  static closed = 0;
  private readonly buf = Buffer.alloc(16 * 1024);
  private pending = Buffer.alloc(0);

  override open(acceptor?: unknown): number {
    Echo.opened++;
    return super.open(acceptor);
  }

  override handleInput(): number {
    const n = this.recv(this.buf);
    if (n === -Errno.EAGAIN) return 0;
    if (n <= 0) return -1;
    this.pending = Buffer.concat([this.pending, this.buf.subarray(0, n)]);
    return this.flush();
  }

  override handleOutput(): number {
    return this.flush();
  }

  private flush(): number {
    const n = this.pending.length ? this.send(this.pending) : 0;
    if (n < 0 && n !== -Errno.EAGAIN) return -1;
    if (n > 0) this.pending = this.pending.subarray(n);
    const reactor = this.reactor()!;
    if (this.pending.length) reactor.registerHandler(this, ReactorMask.WRITE_MASK);
    else if (reactor.maskOf(this) & ReactorMask.WRITE_MASK) reactor.removeHandler(this, ReactorMask.WRITE_MASK | ReactorMask.DONT_CALL);
    return 0;
  }

  override destroy(): void {
    if (!this.isClosed()) Echo.closed++;
    super.destroy();
  }
}

function talk(port: number, text: string): Promise<{ socket: Socket; reply: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let reply = '';
    socket.on('data', (d) => {
      reply += d;
      if (reply.length >= text.length) resolve({ socket, reply });
    });
    socket.on('error', reject);
  });
}

describe.each(reactorBackends)('Acceptor<SvcHandler> on %s', (backend) => {
  it('should make, open and close a service handler per connection, and stop accepting on close', async () => {
    Echo.opened = Echo.closed = 0;
    const reactor = new Reactor({ backend });
    const acceptor = new Acceptor<Echo>();
    acceptor.open(new InetAddr(0, '127.0.0.1'), reactor, { makeSvcHandler: () => new Echo() });
    const port = acceptor.getLocalAddr().port;
    const loop = reactor.runReactorEventLoop();
    const big = 'x'.repeat(3 * 1024 * 1024);
    const talks = await Promise.all([...Array.from({ length: 20 }, (_, i) => talk(port, `hello ${i}`)), talk(port, big)]);
    expect(talks.slice(0, 20).map((t) => t.reply)).toEqual(Array.from({ length: 20 }, (_, i) => `hello ${i}`));
    expect(talks[20].reply === big).toBe(true);
    expect(Echo.opened).toBe(21);
    expect(reactor.size()).toBe(22);
    const clientsClosed = talks.map((t) => new Promise((resolve) => t.socket.on('close', resolve)));
    for (const t of talks) t.socket.end();
    await until(() => Echo.closed === 21, 'every service handler to close');
    await Promise.all(clientsClosed);
    expect(reactor.size()).toBe(1);
    acceptor.close();
    expect(reactor.size()).toBe(0);
    const refused = await new Promise<string>((resolve) => connect(port, '127.0.0.1').on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')));
    expect(refused).toBe('ECONNREFUSED');
    reactor.endReactorEventLoop();
    await loop;
    await reactor.close();
  });

  it('should close the connection when the service handler refuses it in open()', async () => {
    const reactor = new Reactor({ backend });
    let refused: Handle = -1;
    const acceptor = new Acceptor<SvcHandler>();
    acceptor.open(new InetAddr(0, '127.0.0.1'), reactor, {
      makeSvcHandler: () =>
        new (class extends SvcHandler {
          override open(): number {
            refused = this.getHandle();
            return -1;
          }
        })(),
    });
    const loop = reactor.runReactorEventLoop();
    const ended = await new Promise<boolean>((resolve) => {
      const s = connect(acceptor.getLocalAddr().port, '127.0.0.1');
      let sawEnd = false;
      s.on('end', () => (sawEnd = true));
      s.on('close', () => resolve(sawEnd));
      s.resume();
    });
    expect(ended).toBe(true);
    expect(refused).toBeGreaterThan(0);
    expect(reactor.size()).toBe(1);
    reactor.endReactorEventLoop();
    await loop;
    await reactor.close();
    expect(acceptor.getHandle()).toBe(-1);
  });
});
