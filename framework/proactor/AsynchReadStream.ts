import { type MessageBlock } from '../common/MessageBlock';
import { AsynchOperation } from './AsynchOperation';
import { AsynchReadStreamResult } from './results/AsynchReadStreamResult';

/**
 * ACE_Asynch_Read_Stream — POSA2 Asynchronous Operation: reads from a
 * connected stream (socket, pipe) into a message block.
 *
 * @example
 * const rs = new AsynchReadStream();
 * rs.open(handler, handle);
 * rs.read(new MessageBlock(4096), 4096);   // → handler.handleReadStream(result)
 */
export class AsynchReadStream extends AsynchOperation {
  /** Reads up to bytesToRead (≤ mb.space()) into mb at its wrPtr. */
  read(mb: MessageBlock, bytesToRead: number, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    this.checkCount('read', bytesToRead, mb.space(), 'the message block space');
    this.start(new AsynchReadStreamResult(handler, this.handle_, mb, bytesToRead, act, this.completionKey_, priority, signalNumber, this, false));
  }

  /** Reads up to bytesToRead into the free space of the chain mb → mb.cont → … */
  readv(mb: MessageBlock, bytesToRead: number, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    this.checkCount('readv', bytesToRead, mb.totalSpace(), 'the chain space');
    this.start(new AsynchReadStreamResult(handler, this.handle_, mb, bytesToRead, act, this.completionKey_, priority, signalNumber, this, true));
  }
}
