import { HandOffInbox } from '../common/HandOffInbox';
import { INVALID_HANDLE, type Handle } from '../common/Handle';
import { MessageBlock } from '../common/MessageBlock';
import { ProactorError } from '../common/ProactorError';
import { AsynchOperation } from './AsynchOperation';
import { AsynchAcceptResult } from './results/AsynchAcceptResult';

/**
 * ACE_Asynch_Accept — POSA2 Asynchronous Operation: accepts one connection
 * on a listening handle. With bytesToRead > 0 it also reads the
 * connection's first bytes into mb before completing.
 *
 * @example
 * const acc = new AsynchAccept();
 * acc.open(handler, listenHandle);
 * acc.accept(new MessageBlock(0), 0);   // → handler.handleAccept(result)
 */
export class AsynchAccept extends AsynchOperation {
  /**
   * Starts one accept. acceptHandle must be INVALID_HANDLE: the kernel
   * makes the new socket (unlike AcceptEx, which is handed one).
   */
  accept(mb: MessageBlock = new MessageBlock(0), bytesToRead = 0, acceptHandle: Handle = INVALID_HANDLE, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    if (acceptHandle !== INVALID_HANDLE) {
      throw new ProactorError('invalid-argument', 'AsynchAccept.accept: acceptHandle must be INVALID_HANDLE; the kernel creates the socket');
    }
    if (bytesToRead !== 0) this.checkCount('accept', bytesToRead, mb.space(), 'the message block space');
    this.start(new AsynchAcceptResult(handler, this.handle_, mb, bytesToRead, act, this.completionKey_, priority, signalNumber, this));
  }

  /**
   * Accepts every connection until cancel() or a failure: one handleAccept
   * per connection, with result.more true while it goes on. One operation
   * in flight serves any rate of connections.
   */
  acceptMultishot(act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    if (!this.proactor().implementation().supports('acceptMultishot')) {
      throw new ProactorError('unsupported', `AsynchAccept.acceptMultishot: the ${this.proactor().backend} backend cannot accept multishot on this kernel`);
    }
    if (HandOffInbox.of(this.handle_)) {
      throw new ProactorError('unsupported', "AsynchAccept.acceptMultishot: the handle is a pool's hand-off, whose connections come one accept at a time");
    }
    this.start(new AsynchAcceptResult(handler, this.handle_, new MessageBlock(0), 0, act, this.completionKey_, priority, signalNumber, this, true));
  }
}
