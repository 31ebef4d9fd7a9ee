import { type MessageBlock } from '../common/MessageBlock';
import { AsynchOperation } from './AsynchOperation';
import { type Handler } from './Handler';
import { AsynchWriteStreamResult } from './results/AsynchWriteStreamResult';

/**
 * ACE_Asynch_Write_Stream — POSA2 Asynchronous Operation: writes a message
 * block's readable bytes to a connected stream. A write may complete
 * partially; the rest stays readable in the block.
 *
 * @example
 * const ws = new AsynchWriteStream();
 * ws.open(handler, handle);
 * const mb = MessageBlock.from('hello\n');
 * ws.write(mb, mb.length());   // → handler.handleWriteStream(result)
 */
export class AsynchWriteStream extends AsynchOperation {
  protected override readonly streamOperation = true;

  /** A new result for a plain write. */
  private plainWrite(handler: Handler, mb: MessageBlock, bytesToWrite: number, act: unknown, priority: number, signalNumber: number, zeroCopy: boolean): AsynchWriteStreamResult {
    const result = new AsynchWriteStreamResult(handler, this.handle_, mb, bytesToWrite, act, this.completionKey_, priority, signalNumber, this, false, zeroCopy);
    result.viaSocket = this.socketVerbs;
    return result;
  }

  /**
   * Writes up to bytesToWrite (≤ mb.length()) from mb at its rdPtr. Writes
   * of at least the proactor's zeroCopySendThreshold go to sockets without
   * a copy (SEND_ZC); the handler then hears once the kernel is done with mb.
   */
  write(mb: MessageBlock, bytesToWrite: number, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    this.checkCount('write', bytesToWrite, mb.length(), 'the message block length');
    const threshold = this.proactor().implementation().zeroCopyThreshold();
    const zeroCopy = threshold > 0 && bytesToWrite >= threshold;
    const spare = this.takeSpare(AsynchWriteStreamResult);
    this.start(
      spare
        ? spare.reuse(handler, this.handle_, mb, bytesToWrite, act, this.completionKey_, priority, signalNumber, zeroCopy)
        : this.plainWrite(handler, mb, bytesToWrite, act, priority, signalNumber, zeroCopy),
    );
  }

  /**
   * The Promise form of write(): resolves with the result (success or not)
   * instead of calling the handler; aborting signal cancels the write.
   */
  writeAsync(mb: MessageBlock, bytesToWrite: number, options: { act?: unknown; signal?: AbortSignal } = {}): Promise<AsynchWriteStreamResult> {
    const handler = this.openHandler();
    this.checkCount('writeAsync', bytesToWrite, mb.length(), 'the message block length');
    return this.startAsync(this.plainWrite(handler, mb, bytesToWrite, options.act, 0, 0, false), options.signal);
  }

  /** Writes up to bytesToWrite from the readable bytes of the chain mb → mb.cont → … */
  writev(mb: MessageBlock, bytesToWrite: number, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    this.checkCount('writev', bytesToWrite, mb.totalLength(), 'the chain length');
    this.start(new AsynchWriteStreamResult(handler, this.handle_, mb, bytesToWrite, act, this.completionKey_, priority, signalNumber, this, true));
  }
}
