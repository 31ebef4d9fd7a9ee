import { Errno } from '../../common/errno';
import { type NativeProactor } from '../../native/NativeBinding';
import { AsynchResult } from '../AsynchResult';
import { type Handler } from '../Handler';

/** Milliseconds on CLOCK_MONOTONIC, the clock the kernel's absolute timeouts use. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * ACE_POSIX_Asynch_Timer — a timer armed in the kernel at an absolute
 * deadline. It fires (the kernel reports ETIME) into handler.handleTimeOut;
 * a cancelled one is not dispatched.
 */
export class AsynchTimerResult extends AsynchResult {
  /** struct __kernel_timespec, filled by the native layer. */
  private readonly timespec = Buffer.alloc(16);
  /** Set by cancelTimer so a firing that raced the cancel is dropped. */
  cancelled = false;

  constructor(
    handler: Handler,
    act: unknown,
    /** The id scheduleTimer returned. */
    readonly timerId: number,
    /** When it fires, in monotonicMs(). */
    private deadline: number,
    /** Milliseconds between later firings; 0 for once. */
    readonly interval: number,
    /** Called at every completion, before the handler: leaves the armed set or re-arms. */
    private readonly fired: (result: AsynchTimerResult) => void,
  ) {
    super(handler, act, undefined, 0, 0, null);
  }

  /** @internal Moves the deadline to the next expiry after now, one interval on from the last. */
  advance(now: number): void {
    this.deadline += this.interval;
    if (this.deadline <= now) this.deadline += Math.ceil((now - this.deadline) / this.interval + 1e-9) * this.interval;
  }

  /** @internal */
  prepare(native: NativeProactor): number {
    return native.timeout(this.slot, this.gen, this.timespec, this.deadline, true);
  }

  /** @internal */
  override complete(res: number, flags: number): void {
    // Expiry is the kernel's ETIME; that is this operation's success.
    super.complete(res === -Errno.ETIME ? 0 : res, flags);
  }

  protected dispatch(): void {
    this.fired(this);
    if (!this.success || this.cancelled) return;
    this.handler()?.handleTimeOut(Date.now(), this.act);
  }
}
