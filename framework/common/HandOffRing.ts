import { type Handle } from './Handle';

/** Slots of a ring: connections handed over and not yet taken, per thread (a power of two). */
const DEFAULT_CAPACITY = 1024;
/** Indices of the header: handles taken so far, handles put so far (counts modulo 2³², which the capacity divides). */
const TAKEN = 0;
const PUT = 1;
const HEADER = 2;

/**
 * A queue of handles in shared memory between two threads: one thread puts,
 * the other takes, each handle once. It is how a pool's accepting thread
 * hands connections to a worker thread (the numbers are valid in every
 * thread of the process); a doorbell byte on a socket tells the worker one
 * more is there (HandOffInbox). A handle put and never taken stays in the
 * ring: once the taking thread has ended, drain() gives it back to be closed.
 *
 * @example
 * const ring = HandOffRing.create();
 * ring.put(handle);          // the accepting thread
 * ring.take();               // the worker, after a doorbell byte: the handle, now its own
 */
export class HandOffRing {
  private readonly header: Uint32Array;
  private readonly slots: Int32Array;

  private constructor(readonly memory: SharedArrayBuffer) {
    this.header = new Uint32Array(memory, 0, HEADER);
    this.slots = new Int32Array(memory, HEADER * Int32Array.BYTES_PER_ELEMENT);
  }

  /** A new, empty ring of capacity slots (a power of two). */
  static create(capacity = DEFAULT_CAPACITY): HandOffRing {
    if (!Number.isInteger(Math.log2(capacity))) throw new RangeError(`HandOffRing: capacity must be a power of two, got ${capacity}`);
    return new HandOffRing(new SharedArrayBuffer((HEADER + capacity) * Int32Array.BYTES_PER_ELEMENT));
  }

  /** The same ring, in another thread (from its memory, passed in workerData). */
  static attach(memory: SharedArrayBuffer): HandOffRing {
    return new HandOffRing(memory);
  }

  /** Adds handle; false when the ring is full (the handle is still the caller's). */
  put(handle: Handle): boolean {
    const put = Atomics.load(this.header, PUT);
    if ((put - Atomics.load(this.header, TAKEN)) >>> 0 >= this.slots.length) return false;
    Atomics.store(this.slots, put % this.slots.length, handle);
    // Published after the slot: the taker reads the slot only once it sees this.
    Atomics.store(this.header, PUT, put + 1);
    return true;
  }

  /** The oldest handle not yet taken, now the caller's; undefined when there is none. */
  take(): Handle | undefined {
    const taken = Atomics.load(this.header, TAKEN);
    if (taken === Atomics.load(this.header, PUT)) return undefined;
    const handle = Atomics.load(this.slots, taken % this.slots.length);
    Atomics.store(this.header, TAKEN, taken + 1);
    return handle;
  }

  /**
   * Takes back the handle put last, whose doorbell byte could not be sent:
   * the taker takes only what a byte announced, so it cannot have taken
   * it. False when there is nothing to take back.
   */
  withdraw(): boolean {
    const put = Atomics.load(this.header, PUT);
    if (put === Atomics.load(this.header, TAKEN)) return false;
    Atomics.store(this.header, PUT, put - 1);
    return true;
  }

  /** Takes every handle left; only once the taking thread can take no more. */
  drain(): Handle[] {
    const left: Handle[] = [];
    for (let h = this.take(); h !== undefined; h = this.take()) left.push(h);
    return left;
  }
}
