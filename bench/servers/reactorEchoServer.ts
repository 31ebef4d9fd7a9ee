/**
 * The framework's Reactor as an echo server for the benchmark: an
 * Acceptor<ReactiveEcho> on the epoll Reactor (post-reactive), each
 * connection a SvcHandler that does non-blocking recv/send in handleInput.
 * Prints its port when listening.
 *
 * Usage: node dist/bench/servers/reactorEchoServer.js [--port 0] [--reactor epoll|poll]
 */
import { parseArgs } from 'node:util';
import { InetAddr } from '../../framework/common/InetAddr';
import { SockStream } from '../../framework/common/SockStream';
import { Errno } from '../../framework/common/errno';
import { Acceptor } from '../../framework/reactor/Acceptor';
import { Reactor } from '../../framework/reactor/Reactor';
import { ReactorMask } from '../../framework/reactor/ReactorMask';
import { SvcHandler } from '../../framework/reactor/SvcHandler';

/**
 * Every connection reads into this one block: a reactive read is synchronous,
 * so the bytes are either sent back before the hook returns or copied into
 * the connection's backlog.
 */
const scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Echo on the Reactor: when readable, recv once and send it back. What the
 * socket does not take waits in `backlog`; the handler then watches for
 * WRITE_MASK instead of READ_MASK until it has all gone, so a slow reader
 * holds back its own writer (TCP's flow control) without the server
 * buffering without limit.
 */
class ReactiveEcho extends SvcHandler {
  private backlog: Buffer | undefined;

  override open(): number {
    new SockStream(this.getHandle()).setNoDelay(true);
    return super.open();
  }

  override handleInput(): number {
    const n = this.recv(scratch);
    if (n === -Errno.EAGAIN) return 0;
    if (n <= 0) return -1;
    const sent = this.send(scratch, 0, n);
    if (sent === n) return 0;
    if (sent < 0 && sent !== -Errno.EAGAIN) return -1;
    this.backlog = Buffer.from(scratch.subarray(Math.max(sent, 0), n));
    const reactor = this.reactor()!;
    reactor.registerHandler(this, ReactorMask.WRITE_MASK);
    reactor.removeHandler(this, ReactorMask.READ_MASK | ReactorMask.DONT_CALL);
    return 0;
  }

  override handleOutput(): number {
    const backlog = this.backlog!;
    const sent = this.send(backlog);
    if (sent === -Errno.EAGAIN) return 0;
    if (sent < 0) return -1;
    if (sent < backlog.length) {
      this.backlog = backlog.subarray(sent);
      return 0;
    }
    this.backlog = undefined;
    const reactor = this.reactor()!;
    reactor.registerHandler(this, ReactorMask.READ_MASK);
    reactor.removeHandler(this, ReactorMask.WRITE_MASK | ReactorMask.DONT_CALL);
    return 0;
  }
}

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, reactor: { type: 'string' } } });
const reactor = new Reactor({ backend: values.reactor });
const acceptor = new Acceptor<ReactiveEcho>();
acceptor.open(new InetAddr(Number(values.port), '127.0.0.1'), reactor, { makeSvcHandler: () => new ReactiveEcho() });
process.stdout.write(`${acceptor.getLocalAddr().port}\n`);
process.stderr.write(`reactor: ${reactor.backend} (${reactor.implementation().describe()}), post-reactive\n`);
void reactor.runReactorEventLoop();
