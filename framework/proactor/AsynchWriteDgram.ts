import { InetAddr } from '../common/InetAddr';
import { MessageBlock } from '../common/MessageBlock';
import { ProactorError } from '../common/ProactorError';
import { AsynchOperation } from './AsynchOperation';
import { checkBlocks, checkFlags } from './AsynchReadDgram';
import { AsynchWriteDgramResult } from './results/AsynchWriteDgramResult';

/** What sendAsync takes besides the chain and the address. */
export interface SendDgramOptions {
  /** sendmsg flags; default 0. */
  flags?: number;
  /** The Asynchronous Completion Token, handed back on the result. */
  act?: unknown;
  /** Aborting it cancels the send. */
  signal?: AbortSignal;
}

/**
 * ACE_Asynch_Write_Dgram — POSA2 Asynchronous Operation: sends one
 * datagram, gathered from the readable bytes of a message block chain, to
 * any address (each send names its own, so one socket talks to many peers).
 *
 * @example
 * const wd = new AsynchWriteDgram();
 * wd.open(handler, socket.handle());
 * wd.send(MessageBlock.from('hello'), 0, new InetAddr(9000, '127.0.0.1'));   // → handler.handleWriteDgram(result)
 */
export class AsynchWriteDgram extends AsynchOperation {
  /**
   * Sends the chain mb → mb.cont → … (bytesToWrite is its length) as one
   * datagram to remoteAddr. ACE's number_of_bytes_sent arrives as the
   * result's bytesTransferred.
   */
  send(mb: MessageBlock, flags: number, remoteAddr: InetAddr, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    this.checkDgram('send', mb, flags, remoteAddr);
    const spare = this.takeSpare(AsynchWriteDgramResult);
    this.start(
      spare
        ? spare.reuse(handler, this.handle_, mb, mb.totalLength(), flags, remoteAddr, act, this.completionKey_, priority, signalNumber)
        : new AsynchWriteDgramResult(handler, this.handle_, mb, mb.totalLength(), flags, remoteAddr, act, this.completionKey_, priority, signalNumber, this),
    );
  }

  /**
   * The Promise form of send(): resolves with the result (success or not)
   * instead of calling the handler; aborting the signal cancels the send.
   *
   * @example
   * const r = await wd.sendAsync(MessageBlock.from('ping'), new InetAddr(9000, '::1'));
   */
  sendAsync(mb: MessageBlock, remoteAddr: InetAddr, options: SendDgramOptions = {}): Promise<AsynchWriteDgramResult> {
    const handler = this.openHandler();
    const { flags = 0 } = options;
    this.checkDgram('sendAsync', mb, flags, remoteAddr);
    const result = new AsynchWriteDgramResult(handler, this.handle_, mb, mb.totalLength(), flags, remoteAddr, options.act, this.completionKey_, 0, 0, this);
    return this.startAsync(result, options.signal);
  }

  private checkDgram(what: string, mb: MessageBlock, flags: number, remoteAddr: InetAddr): void {
    const name = `${this.constructor.name}.${what}`;
    if (!this.proactor().implementation().supports('sendmsg')) {
      throw new ProactorError('unsupported', `${name}: the ${this.proactor().implementation().name} backend cannot send a datagram`);
    }
    if (!(mb instanceof MessageBlock)) throw new ProactorError('invalid-argument', `${name}: a MessageBlock is required`);
    checkFlags(name, flags);
    if (!(remoteAddr instanceof InetAddr)) throw new ProactorError('invalid-argument', `${name}: the remote address must be an InetAddr`);
    if (mb.totalLength() === 0) throw new ProactorError('invalid-argument', `${name}: the chain holds no bytes to send`);
    checkBlocks(name, mb, (b) => b.length());
  }
}
