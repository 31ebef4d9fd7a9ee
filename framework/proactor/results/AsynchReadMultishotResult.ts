import { type Handle } from '../../common/Handle';
import { MessageBlock } from '../../common/MessageBlock';
import { Errno } from '../../common/errno';
import { CompletionFlag, type NativeProactor } from '../../native/NativeBinding';
import { type AsynchOperation } from '../AsynchOperation';
import { type BufferRing, type BufferWaiter } from '../BufferRing';
import { type Handler } from '../Handler';
import { AsynchReadStreamResult } from './AsynchReadStreamResult';

/**
 * Times an empty ring may resume the read at once, betting that buffers
 * are on their way back; past this it waits for a release.
 */
const MAX_EARLY_RESUMES = 2;

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
 * released.
 */
export class AsynchReadMultishotResult extends AsynchReadStreamResult implements BufferWaiter {
  private kept = false;
  private cancelled = false;
  /** Times in a row the ring was empty; after a few, wait for a release. */
  private starved = 0;

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
  }

  /**
   * Keeps this completion's buffer after the handler returns (to write it
   * back, say); give it back to the ring with mb.release().
   */
  keepBuffer(): MessageBlock {
    this.kept = this.messageBlock !== NO_DATA;
    return this.messageBlock;
  }

  /** @internal */
  override prepare(native: NativeProactor): number {
    // A cancelled waiter completes through a no-op, reported as ECANCELED.
    if (this.cancelled) return native.nop(this.slot, this.gen);
    return native.recvMultishot(this.slot, this.gen, this.handle, this.ring.group, this.oneShot);
  }

  /** @internal */
  override complete(res: number, flags: number): void {
    if (this.cancelled) {
      this.cancelled = false;
      res = -Errno.ECANCELED;
      flags = 0;
    } else if (res === -Errno.ENOBUFS && !(flags & CompletionFlag.MORE) && this.owner!.proactor().implementation().isClosed()) {
      // Nothing will release a buffer to a closed proactor: the read ends.
      res = -Errno.ECANCELED;
    } else if (res === -Errno.ENOBUFS && !(flags & CompletionFlag.MORE)) {
      // Every ring buffer is lent: wait for one rather than fail the read.
      this.ring.wait(this, ++this.starved <= MAX_EARLY_RESUMES);
      return;
    }
    this.starved = 0;
    let lent: MessageBlock | null = null;
    if (flags & CompletionFlag.BUFFER) {
      lent = this.ring.lend(flags >>> CompletionFlag.BUFFER_SHIFT, res > 0 ? res : 0);
      this.messageBlock = lent;
    } else {
      this.messageBlock = NO_DATA;
    }
    this.kept = false;
    try {
      super.complete(res, flags);
    } finally {
      if (lent !== null && !this.kept) this.ring.release(lent);
    }
  }

  /** The ring buffer already holds the bytes. */
  protected override received(_res: number): void {}

  /** A buffer came back to the ring: the read starts again (BufferWaiter). */
  resume(): void {
    this.owner!.restart(this);
  }

  /** The read is cancelled while it waits for a buffer: it completes with ECANCELED (BufferWaiter). */
  cancelWaiting(): void {
    this.cancelled = true;
    this.owner!.restart(this);
  }
}
