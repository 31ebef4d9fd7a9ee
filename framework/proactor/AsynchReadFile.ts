import { type MessageBlock } from '../common/MessageBlock';
import { ProactorError } from '../common/ProactorError';
import { AsynchOperation } from './AsynchOperation';
import { AsynchReadFileResult } from './results/AsynchReadFileResult';

/**
 * ACE_Asynch_Read_File — POSA2 Asynchronous Operation: reads a file at an
 * offset into a message block, whatever the file's own position (which it
 * leaves alone). Offsets are 64-bit (a JS number: up to 2^53).
 *
 * @example
 * const rf = new AsynchReadFile();
 * rf.open(handler, fs.openSync(path, 'r'));
 * rf.read(new MessageBlock(4096), 4096, 8192);   // → handler.handleReadFile(result)
 */
export class AsynchReadFile extends AsynchOperation {
  /** Reads up to bytesToRead (≤ mb.space()) at offset into mb at its wrPtr. */
  read(mb: MessageBlock, bytesToRead: number, offset: number, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    this.checkCount('read', bytesToRead, mb.space(), 'the message block space');
    this.start(new AsynchReadFileResult(handler, this.handle_, mb, bytesToRead, checkOffset(offset), act, this.completionKey_, priority, signalNumber, this, false));
  }

  /** The Promise form of read(): resolves with the result instead of calling the handler; aborting signal cancels it. */
  readAsync(mb: MessageBlock, bytesToRead: number, offset: number, options: { act?: unknown; signal?: AbortSignal } = {}): Promise<AsynchReadFileResult> {
    const handler = this.openHandler();
    this.checkCount('readAsync', bytesToRead, mb.space(), 'the message block space');
    return this.startAsync(new AsynchReadFileResult(handler, this.handle_, mb, bytesToRead, checkOffset(offset), options.act, this.completionKey_, 0, 0, this, false), options.signal);
  }

  /** Reads up to bytesToRead at offset into the free space of the chain mb → mb.cont → … */
  readv(mb: MessageBlock, bytesToRead: number, offset: number, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    this.checkCount('readv', bytesToRead, mb.totalSpace(), 'the chain space');
    this.start(new AsynchReadFileResult(handler, this.handle_, mb, bytesToRead, checkOffset(offset), act, this.completionKey_, priority, signalNumber, this, true));
  }
}

/** A file offset: a whole number from 0 to 2^53 - 1. */
export function checkOffset(offset: number): number {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new ProactorError('invalid-argument', `file offset must be a whole number from 0 to 2^53 - 1, got ${offset}`);
  }
  return offset;
}
