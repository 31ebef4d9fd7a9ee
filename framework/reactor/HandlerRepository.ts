import { type Handle } from '../common/Handle';
import { ProactorError } from '../common/ProactorError';
import { type EventHandler } from './EventHandler';
import { ReactorMask, type ReactorMaskBits } from './ReactorMask';
import { type NativeReactorBackend } from '../native/NativeBinding';

/** What the repository holds for one handle. */
export interface HandlerEntry {
  readonly handle: Handle;
  readonly handler: EventHandler;
  /** The I/O events registered (READ/WRITE/EXCEPT/ACCEPT/CONNECT bits). */
  mask: ReactorMaskBits;
  /** Suspended: kept, but not watched. */
  suspended: boolean;
}

/** The I/O bits of a mask. */
export const IO_MASK = ReactorMask.READ_MASK | ReactorMask.WRITE_MASK | ReactorMask.EXCEPT_MASK | ReactorMask.ACCEPT_MASK | ReactorMask.CONNECT_MASK;

/** Demultiplexer interest bits (native/common/reactor_backend.h). */
export const Interest = { READABLE: 1, WRITABLE: 2, PRIORITY: 4 } as const;
/** Readiness bits reported besides the interest bits. */
export const Readiness = { HANGUP: 8, ERROR: 16, INVALID: 32 } as const;

/**
 * ACE_Select_Reactor_Handler_Repository — which handler is registered for
 * each handle, with which events, and whether it is suspended; binding and
 * unbinding keep the demultiplexer's interest set in step.
 */
export class HandlerRepository {
  private readonly entries = new Map<Handle, HandlerEntry>();

  constructor(
    private readonly native: NativeReactorBackend,
    /** The demultiplexer's name, for error messages. */
    private readonly name: string,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  find(handle: Handle): HandlerEntry | undefined {
    return this.entries.get(handle);
  }

  /** The handle handler is registered under, if any. */
  handleOf(handler: EventHandler): Handle | undefined {
    for (const entry of this.entries.values()) if (entry.handler === handler) return entry.handle;
    return undefined;
  }

  /** Every entry (a copy: callers may register and remove while iterating). */
  all(): HandlerEntry[] {
    return [...this.entries.values()];
  }

  /** Registers mask's I/O events (added to what handler already has); throws if refused. */
  bind(handle: Handle, handler: EventHandler, mask: ReactorMaskBits): void {
    if (!Number.isInteger(handle) || handle < 0) throw new ProactorError('invalid-argument', `registerHandler: ${handle} is not a handle`);
    const io = mask & IO_MASK;
    if (io === 0) throw new ProactorError('invalid-argument', `registerHandler: mask ${mask} names no I/O event`);
    const entry = this.entries.get(handle);
    if (entry && entry.handler !== handler) {
      throw new ProactorError('invalid-argument', `registerHandler: handle ${handle} is registered to another handler (remove it before closing the handle)`);
    }
    if (entry) {
      const before = HandlerRepository.interestOf(entry);
      const old = entry.mask;
      entry.mask |= io;
      const rc = this.sync(entry, before);
      if (rc < 0) entry.mask = old;
      this.check(rc, 'register', handle);
      return;
    }
    const added: HandlerEntry = { handle, handler, mask: io, suspended: false };
    const rc = this.native.add(handle, HandlerRepository.interestOf(added));
    this.check(rc, 'register', handle);
    this.entries.set(handle, added);
  }

  /** Removes mask's I/O events; returns the entry as it was, or undefined if handle is not registered. */
  unbind(handle: Handle, mask: ReactorMaskBits): HandlerEntry | undefined {
    const entry = this.entries.get(handle);
    if (!entry) return undefined;
    const before = HandlerRepository.interestOf(entry);
    entry.mask &= ~(mask & IO_MASK);
    if (entry.mask !== 0) {
      this.sync(entry, before);
      return entry;
    }
    this.entries.delete(handle);
    // A handle closed before its removal is already gone from the kernel's set.
    if (before !== 0) this.native.remove(handle);
    return entry;
  }

  /** Suspends or resumes; -1 if not registered or already so; throws if the kernel refuses. */
  setSuspended(handle: Handle, suspended: boolean): number {
    const entry = this.entries.get(handle);
    if (!entry || entry.suspended === suspended) return -1;
    const before = HandlerRepository.interestOf(entry);
    entry.suspended = suspended;
    const rc = this.sync(entry, before);
    if (rc < 0) entry.suspended = !suspended;
    this.check(rc, suspended ? 'suspend' : 'resume', handle);
    return 0;
  }

  /** The demultiplexer interest for an entry: none while suspended. */
  static interestOf(entry: HandlerEntry): number {
    if (entry.suspended) return 0;
    let interest = 0;
    if (entry.mask & (ReactorMask.READ_MASK | ReactorMask.ACCEPT_MASK)) interest |= Interest.READABLE;
    if (entry.mask & (ReactorMask.WRITE_MASK | ReactorMask.CONNECT_MASK)) interest |= Interest.WRITABLE;
    if (entry.mask & ReactorMask.EXCEPT_MASK) interest |= Interest.PRIORITY;
    return interest;
  }

  /** Brings the kernel's interest for entry in line with its mask and state. */
  private sync(entry: HandlerEntry, before: number): number {
    const now = HandlerRepository.interestOf(entry);
    if (now === before) return 0;
    if (before === 0) return this.native.add(entry.handle, now);
    if (now === 0) return this.native.remove(entry.handle);
    return this.native.modify(entry.handle, now);
  }

  private check(rc: number, what: string, handle: Handle): void {
    if (rc < 0) throw ProactorError.fromErrno(rc, `${this.name} ${what}(${handle})`);
  }
}
