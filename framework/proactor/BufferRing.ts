import { BlockLoans } from '../common/BlockLoans';
import { type MessageBlock, type MessageBlockOwner } from '../common/MessageBlock';
import { ProactorError } from '../common/ProactorError';
import { Errno, errnoName } from '../common/errno';

/** The size of a provided-buffer ring. */
export interface BufferRingOptions {
  /** Buffers in the ring, a power of two up to 32768; default 256. */
  count?: number;
  /** Bytes per buffer; default 16 KiB. */
  size?: number;
}

/** What a ring needs from its proactor. */
export interface BufferProvider {
  /** Registers count buffers of size bytes in buffer as group; 0 or -errno. */
  registerBufferRing(group: number, buffer: Uint8Array, count: number, size: number): number;
  /** Gives buffer id of group back to the kernel; 0 or -errno. */
  provideBuffer(group: number, id: number): number;
  /** Starts a waiting read again, on the proactor that made the ring (whatever its stream is open on now). */
  restart(waiter: BufferWaiter): void;
  /** Whether that proactor is closed (nothing will release a buffer to it). */
  isClosed(): boolean;
}

/** @internal Why backend cannot read from a buffer ring here: its kernel's io_uring is too old, or it is not io_uring. */
export function noBufferRings(backend: string): string {
  return backend === 'uring' ? "this kernel's io_uring has no multishot reads" : `the ${backend} backend has no buffer rings (uring and epoll have them)`;
}

/** A multishot read waiting for the ring to have a buffer again. */
export interface BufferWaiter {
  /** The handle it reads from (closeHandle cancels waiters on it). */
  readonly handle: number;
  /** The operation that started it (its cancel() cancels the waiter). */
  readonly owner: unknown;
  /** Starts reading again. */
  resume(): void;
  /** Completes it with ECANCELED instead. */
  cancelWaiting(): void;
}

/**
 * A provided-buffer ring: buffers the kernel (io_uring) or the backend
 * (epoll, which emulates the ring) picks from as data arrives, so a read
 * from it (AsynchReadStream.readMultishot, readFromRing) needs no buffer of
 * its own while it waits. A ring serves the reads of the proactor that made
 * it. Many connections share one ring: memory follows the
 * data in flight, not the number of connections.
 *
 * Each completion lends the handler the buffer it filled. The buffer goes
 * back to the kernel when the handler returns, unless the handler called
 * result.keepBuffer(); then it goes back at mb.release(). A ring with every
 * buffer lent makes its readers wait (the data stays in the socket) until
 * one comes back.
 *
 * @example
 * const ring = proactor.createBufferRing({ count: 256, size: 16384 });
 * rs.readMultishot(ring);   // → handleReadStream(result) per arrival
 */
export class BufferRing implements MessageBlockOwner {
  /** Buffers in the ring. */
  readonly count: number;
  /** Bytes per buffer. */
  readonly size: number;
  private readonly loans: BlockLoans;
  private waiters: BufferWaiter[] = [];
  /** Buffers given back to the kernel so far. */
  private released = 0;

  constructor(
    private readonly provider: BufferProvider,
    /** The kernel's name for this ring (its buffer group). */
    readonly group: number,
    options: BufferRingOptions = {},
  ) {
    const count = options.count ?? 256;
    const size = options.size ?? 16 * 1024;
    if (!Number.isInteger(count) || count < 1 || count > 32768 || (count & (count - 1)) !== 0) {
      throw new ProactorError('invalid-argument', `buffer ring: count must be a power of two in 1..32768, got ${count}`);
    }
    if (!Number.isInteger(size) || size < 1 || size * count > 0x7fffffff) {
      throw new ProactorError('invalid-argument', `buffer ring: size must be ≥ 1 and count × size below 2 GiB, got ${size}`);
    }
    this.count = count;
    this.size = size;
    const region = Buffer.alloc(count * size);
    const rc = provider.registerBufferRing(group, region, count, size);
    if (rc < 0) {
      const unsupported = rc === -Errno.ENOSYS || rc === -Errno.EOPNOTSUPP || rc === -Errno.EINVAL;
      throw ProactorError.fromErrno(rc, 'register buffer ring', unsupported ? 'unsupported' : 'system');
    }
    this.loans = new BlockLoans(this, region, count, size);
  }

  /** Buffers lent to handlers and not yet released. */
  held(): number {
    return this.loans.out;
  }

  /** @internal Which loan of its buffer mb is (a number that changes at each lend). */
  loanOf(mb: MessageBlock): number {
    return this.loans.loanOf(mb);
  }

  /** @internal Whether mb is still lent, as loan number `loan` (not given back, nor lent again since). */
  isLent(mb: MessageBlock, loan: number): boolean {
    return this.loans.isLent(mb) && this.loans.loanOf(mb) === loan;
  }

  /** @internal Whether the proactor that made the ring is closed. */
  proactorClosed(): boolean {
    return this.provider.isClosed();
  }

  /** @internal Starts a waiting read again (BufferWaiter.resume, cancelWaiting), on the ring's own proactor. */
  restart(waiter: BufferWaiter): void {
    this.provider.restart(waiter);
  }

  /** @internal The block of buffer id, holding the n bytes the kernel put there. */
  lend(id: number, n: number): MessageBlock {
    const mb = this.loans.lend(id);
    if (mb === undefined) {
      throw new ProactorError('system', `buffer ring ${this.group}: the kernel filled buffer ${id}, which is not in the ring`);
    }
    mb.setPointers(0, n);
    return mb;
  }

  /** Gives a lent buffer back to the kernel, and wakes readers waiting for one. */
  release(mb: MessageBlock): void {
    // A zero-copy send still reads it: it comes back when the kernel lets go.
    if (mb.isHeldByKernel()) return mb.release();
    const id = this.loans.takeBack(mb, 'BufferRing');
    const rc = this.provider.provideBuffer(this.group, id);
    if (rc < 0) throw new ProactorError('system', `buffer ring ${this.group}: provide buffer ${id}: ${errnoName(-rc)}`);
    this.released++;
    if (this.waiters.length > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.resume();
    }
  }

  /**
   * @internal How many buffers have gone back to the kernel. A read that
   * the kernel found the ring empty for compares it with the count when it
   * was submitted: if a buffer came back since, the release may have come
   * before the read waited, and the read must try again now; if none did,
   * every buffer is lent or in a completion not yet dispatched, and its
   * release() will resume the read.
   */
  releases(): number {
    return this.released;
  }

  /** Reads waiting for a buffer (they count as in flight). */
  waiting(): number {
    return this.waiters.length;
  }

  /**
   * @internal A read ran out of buffers: resume it at once if a buffer
   * came back since it went to the kernel (releasedSince), else at the
   * next release().
   */
  wait(waiter: BufferWaiter, releasedSince: boolean): void {
    if (releasedSince) waiter.resume();
    else this.waiters.push(waiter);
  }

  /** @internal Removes and returns the waiters that match (they are being cancelled). */
  takeWaiters(match: (w: BufferWaiter) => boolean): BufferWaiter[] {
    const taken = this.waiters.filter(match);
    if (taken.length > 0) this.waiters = this.waiters.filter((w) => !match(w));
    return taken;
  }
}
