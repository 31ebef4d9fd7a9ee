import { type MessageBlock } from '../common/MessageBlock';
import { AsynchOperation } from './AsynchOperation';
import { checkOffset } from './AsynchReadFile';
import { AsynchWriteFileResult } from './results/AsynchWriteFileResult';

/**
 * ACE_Asynch_Write_File — POSA2 Asynchronous Operation: writes a message
 * block's readable bytes to a file at an offset, whatever the file's own
 * position (which it leaves alone). Offsets are 64-bit (up to 2^53).
 *
 * @example
 * const wf = new AsynchWriteFile();
 * wf.open(handler, fs.openSync(path, 'w'));
 * const mb = MessageBlock.from('frame');
 * wf.write(mb, mb.length(), 16);   // → handler.handleWriteFile(result)
 */
export class AsynchWriteFile extends AsynchOperation {
  /** Writes up to bytesToWrite (≤ mb.length()) from mb at its rdPtr, at offset. */
  write(mb: MessageBlock, bytesToWrite: number, offset: number, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    this.checkCount('write', bytesToWrite, mb.length(), 'the message block length');
    this.start(new AsynchWriteFileResult(handler, this.handle_, mb, bytesToWrite, checkOffset(offset), act, this.completionKey_, priority, signalNumber, this, false));
  }

  /** The Promise form of write(): resolves with the result instead of calling the handler; aborting signal cancels it. */
  writeAsync(mb: MessageBlock, bytesToWrite: number, offset: number, options: { act?: unknown; signal?: AbortSignal } = {}): Promise<AsynchWriteFileResult> {
    const handler = this.openHandler();
    this.checkCount('writeAsync', bytesToWrite, mb.length(), 'the message block length');
    return this.startAsync(new AsynchWriteFileResult(handler, this.handle_, mb, bytesToWrite, checkOffset(offset), options.act, this.completionKey_, 0, 0, this, false), options.signal);
  }

  /** Writes up to bytesToWrite from the readable bytes of the chain mb → mb.cont → …, at offset. */
  writev(mb: MessageBlock, bytesToWrite: number, offset: number, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    this.checkCount('writev', bytesToWrite, mb.totalLength(), 'the chain length');
    this.start(new AsynchWriteFileResult(handler, this.handle_, mb, bytesToWrite, checkOffset(offset), act, this.completionKey_, priority, signalNumber, this, true));
  }
}
