import { type Handle, handleCloses } from '../../common/Handle';
import { MessageBlock } from '../../common/MessageBlock';
import { Errno } from '../../common/errno';
import { ProactorError } from '../../common/ProactorError';
import { CompletionFlag, type NativeProactor } from '../../native/NativeBinding';
import { type AsynchOperation } from '../AsynchOperation';
import { type BufferRing, type BufferWaiter } from '../BufferRing';
import { type Handler } from '../Handler';
import { AsynchReadStreamResult } from './AsynchReadStreamResult';

/** What a completion without data (EOF, an error) shows as its block. */
const NO_DATA = new MessageBlock(0);

/**
 * The result of AsynchReadStream.readMultishot: one read that completes
 * once per arrival of data, each time into a buffer the kernel took from a
 * BufferRing, until EOF, an error or a cancel (then `more` is false). The
 * same result object comes back for each completion. Of
 * AsynchReadStream.readFromRing too (`oneShot`): the same read, which
 * completes once.
 *
 * The handler is lent `messageBlock` (the ring buffer) until it returns;
 * keepBuffer() keeps it longer, until mb.release(). When the ring has no
 * buffer left the read waits, invisibly to the handler, until one is
 * released; a cancel or closeHandle ends the wait with ECANCELED.
 */
export class AsynchReadMultishotResult extends AsynchReadStreamResult implements BufferWaiter {
  private kept = false;
  /** Which loan of its buffer the current messageBlock is (BufferRing.loanOf). */
  private loan = 0;
  /** The wait for a buffer was cancelled: the read restarts as a no-op that completes with ECANCELED. */
  private cancelled = false;
  /** A cancel was asked for while the read was in the kernel (its ENOBUFS may be on the way already). */
  private cancelAsked = false;
  /** The ring's release count when the read last went to the kernel (see BufferRing.releases). */
  private releasesAtSubmit = 0;
  /** How often the handle had been closed through the framework when the read began. */
  private readonly closesAtStart: number;

  constructor(
    handler: Handler | null,
    handle: Handle,
    /** The ring the kernel takes buffers from. */
    readonly ring: BufferRing,
    act: unknown,
    completionKey: unknown,
    priority: number,
    signalNumber: number,
    owner: AsynchOperation,
    /** Completes once, with the first arrival (readFromRing), instead of once per arrival. */
    readonly oneShot = false,
  ) {
    super(handler, handle, NO_DATA, ring.size, act, completionKey, priority, signalNumber, owner, false);
    this.closesAtStart = handleCloses(handle);
  }

  /**
   * Keeps this completion's buffer after the handler returns (to write it
   * back, say); give it back to the ring with mb.release(). Only from inside
   * the handler: once it has returned, the buffer is back in the ring.
   */
  keepBuffer(): MessageBlock {
    if (!this.inHandler) {
      throw new ProactorError('invalid-argument', 'keepBuffer(): called after the handler returned, when the buffer was already back in the ring (call it inside handleReadStream)');
    }
    if (this.messageBlock !== NO_DATA && !this.ring.isLent(this.messageBlock, this.loan)) {
      throw new ProactorError('invalid-argument', 'keepBuffer(): the handler already gave the buffer back with mb.release()');
    }
    this.kept = this.messageBlock !== NO_DATA;
    return this.messageBlock;
  }

  /** @internal */
  override prepare(native: NativeProactor): number {
    // A cancelled waiter completes through a no-op, reported as ECANCELED;
    // so does one resumed after its handle was closed, which must not read
    // whatever connection took the number since.
    if (!this.cancelled && this.handleClosed()) this.cancelled = true;
    if (this.cancelled) return native.nop(this.slot, this.gen);
    this.releasesAtSubmit = this.ring.releases();
    return native.recvMultishot(this.slot, this.gen, this.handle, this.ring.group, this.oneShot);
  }

  /** @internal A cancel is on its way to the kernel, which may have answered ENOBUFS already. */
  override cancelRequested(): void {
    this.cancelAsked = true;
  }

  /** @internal */
  override complete(res: number, flags: number): void {
    if (this.cancelled) {
      this.cancelled = false;
      res = -Errno.ECANCELED;
      flags = 0;
    } else if (res === -Errno.ENOBUFS && !(flags & CompletionFlag.MORE)) {
      // The kernel found the ring empty. The read ends if it was cancelled
      // or its handle closed meanwhile, or if the proactor is closed
      // (nothing will release a buffer to it); otherwise it waits for a
      // buffer rather than fail.
      if (this.cancelAsked || this.handleClosed() || this.ring.proactorClosed()) {
        res = -Errno.ECANCELED;
      } else {
        this.ring.wait(this, this.ring.releases() !== this.releasesAtSubmit);
        return;
      }
    }
    let lent: MessageBlock | null = null;
    if (flags & CompletionFlag.BUFFER) {
      lent = this.ring.lend(flags >>> CompletionFlag.BUFFER_SHIFT, res > 0 ? res : 0);
      this.loan = this.ring.loanOf(lent);
      this.messageBlock = lent;
    } else {
      this.messageBlock = NO_DATA;
    }
    this.kept = false;
    try {
      super.complete(res, flags);
    } finally {
      // Unless kept, or given back by the handler itself with mb.release()
      // (and perhaps lent again since, to a read the handler started).
      if (lent !== null && !this.kept && this.ring.isLent(lent, this.loan)) this.ring.release(lent);
    }
  }

  /** Whether the handle was closed through the framework since the read began. */
  private handleClosed(): boolean {
    return handleCloses(this.handle) !== this.closesAtStart;
  }

  /** The ring buffer already holds the bytes. */
  protected override received(_res: number): void {}

  /** A buffer came back to the ring: the read starts again, on the ring's proactor (BufferWaiter). */
  resume(): void {
    this.ring.restart(this);
  }

  /** The read is cancelled while it waits for a buffer: it completes with ECANCELED (BufferWaiter). */
  cancelWaiting(): void {
    this.cancelled = true;
    this.ring.restart(this);
  }
}
