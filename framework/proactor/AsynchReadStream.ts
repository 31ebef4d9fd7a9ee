import { type MessageBlock } from '../common/MessageBlock';
import { ProactorError } from '../common/ProactorError';
import { AsynchOperation } from './AsynchOperation';
import { type BufferRing, noBufferRings } from './BufferRing';
import { type Handler } from './Handler';
import { AsynchReadMultishotResult } from './results/AsynchReadMultishotResult';
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
  protected override readonly streamOperation = true;

  /** A new result for a plain read. */
  private plainRead(handler: Handler, mb: MessageBlock, bytesToRead: number, act: unknown, priority: number, signalNumber: number): AsynchReadStreamResult {
    const result = new AsynchReadStreamResult(handler, this.handle_, mb, bytesToRead, act, this.completionKey_, priority, signalNumber, this, false);
    result.viaSocket = this.socketVerbs;
    return result;
  }

  /** Reads up to bytesToRead (≤ mb.space()) into mb at its wrPtr. */
  read(mb: MessageBlock, bytesToRead: number, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    this.checkCount('read', bytesToRead, mb.space(), 'the message block space');
    const spare = this.takeSpare(AsynchReadStreamResult);
    this.start(
      spare
        ? spare.reuse(handler, this.handle_, mb, bytesToRead, act, this.completionKey_, priority, signalNumber)
        : this.plainRead(handler, mb, bytesToRead, act, priority, signalNumber),
    );
  }

  /**
   * The Promise form of read(): resolves with the result (success or not)
   * instead of calling the handler; aborting signal cancels the read.
   *
   * @example
   * const r = await rs.readAsync(mb, mb.space(), { signal: AbortSignal.timeout(5000) });
   */
  readAsync(mb: MessageBlock, bytesToRead: number, options: { act?: unknown; signal?: AbortSignal } = {}): Promise<AsynchReadStreamResult> {
    const handler = this.openHandler();
    this.checkCount('readAsync', bytesToRead, mb.space(), 'the message block space');
    return this.startAsync(this.plainRead(handler, mb, bytesToRead, options.act, 0, 0), options.signal);
  }

  /** Reads up to bytesToRead into the free space of the chain mb → mb.cont → … */
  readv(mb: MessageBlock, bytesToRead: number, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    this.checkCount('readv', bytesToRead, mb.totalSpace(), 'the chain space');
    this.start(new AsynchReadStreamResult(handler, this.handle_, mb, bytesToRead, act, this.completionKey_, priority, signalNumber, this, true));
  }

  /**
   * Reads every arrival of data until EOF, an error or cancel(): one
   * handleReadStream per arrival, each lent a buffer of ring (see
   * BufferRing), with result.more true while the read goes on. The handle
   * must be a socket; ring must come from createBufferRing of the proactor
   * this stream was opened on; the backend must support 'recvMultishot'
   * (uring, epoll), else ProactorError 'unsupported'.
   */
  readMultishot(ring: BufferRing, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    this.checkRing('readMultishot', ring);
    this.start(new AsynchReadMultishotResult(handler, this.handle_, ring, act, this.completionKey_, priority, signalNumber, this));
  }

  /**
   * Reads once, into a buffer the kernel takes from ring when data arrives:
   * one handleReadStream, lent that buffer as readMultishot's are (see
   * BufferRing). Until data comes the read holds no memory of its own, so
   * thousands of idle connections share the ring's buffers instead of
   * holding a block each. The handle must be a socket; ring must come from
   * createBufferRing of the proactor this stream was opened on; the backend
   * must support 'recvMultishot' (uring, epoll), else ProactorError
   * 'unsupported'.
   */
  readFromRing(ring: BufferRing, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    this.checkRing('readFromRing', ring);
    this.start(new AsynchReadMultishotResult(handler, this.handle_, ring, act, this.completionKey_, priority, signalNumber, this, true));
  }

  /** A read may take buffers only from a ring of its own proactor: the backend knows rings by number alone. */
  private checkRing(method: string, ring: BufferRing): void {
    const impl = this.proactor().implementation();
    if (!impl.supports('recvMultishot')) {
      throw new ProactorError('unsupported', `AsynchReadStream.${method}: ${noBufferRings(this.proactor().backend)}`);
    }
    if (!impl.ownsRing(ring)) {
      throw new ProactorError('invalid-argument', `AsynchReadStream.${method}: the ring was not made by this stream's proactor (make it with createBufferRing of the proactor the stream was opened on)`);
    }
  }
}
