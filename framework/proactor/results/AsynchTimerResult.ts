import { Errno } from '../../common/errno';
import { type NativeProactor } from '../../native/NativeBinding';
import { AsynchResult } from '../AsynchResult';
import { type Handler } from '../Handler';

/**
 * ACE_POSIX_Asynch_Timer — a timer armed in the kernel. It fires (the kernel
 * reports ETIME) into handler.handleTimeOut; a cancelled one is not
 * dispatched.
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
    /** Milliseconds until it fires. */
    readonly delay: number,
    /** Milliseconds between later firings; 0 for once. */
    readonly interval: number,
    /** Called when it fired, before the handler, to re-arm an interval timer. */
    private readonly fired: (result: AsynchTimerResult) => void,
  ) {
    super(handler, act, undefined, 0, 0, null);
  }

  /** @internal */
  prepare(native: NativeProactor): number {
    return native.timeout(this.slot, this.gen, this.timespec, this.delay);
  }

  /** @internal */
  override complete(res: number, flags: number): void {
    // Expiry is the kernel's ETIME; that is this operation's success.
    super.complete(res === -Errno.ETIME ? 0 : res, flags);
  }

  protected dispatch(): void {
    if (!this.success || this.cancelled) return;
    this.fired(this);
    this.handler()?.handleTimeOut(Date.now(), this.act);
  }
}
