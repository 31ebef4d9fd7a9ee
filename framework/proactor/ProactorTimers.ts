import { Errno } from '../common/errno';
import { ProactorError } from '../common/ProactorError';
import { type Handler } from './Handler';
import { type ProactorImpl } from './ProactorImpl';
import { AsynchTimerResult, monotonicMs } from './results/AsynchTimerResult';

/**
 * The Proactor's timers, each one a timeout operation in the kernel (ACE
 * keeps a timer queue and a thread; here the Asynchronous Operation
 * Processor does the waiting). Deadlines are absolute on the monotonic
 * clock: an interval timer re-arms at its last expiry plus the interval, as
 * ACE's timer queue does, so its long-run rate is exact however late each
 * dispatch runs; expiries already past are skipped, not fired in a burst.
 */
export class ProactorTimers {
  private readonly armed = new Map<number, AsynchTimerResult>();
  private nextId = 1;

  constructor(private readonly impl: ProactorImpl) {}

  /** Arms a timer; returns its id for cancel(). */
  schedule(handler: Handler, act: unknown, delayMs: number, intervalMs: number): number {
    if (!(delayMs >= 0) || !(intervalMs >= 0) || !Number.isFinite(delayMs) || !Number.isFinite(intervalMs)) {
      throw new ProactorError('invalid-argument', `scheduleTimer: delay and interval must be finite and >= 0 (got ${delayMs}, ${intervalMs})`);
    }
    const id = this.nextId++;
    const result = new AsynchTimerResult(handler, act, id, monotonicMs() + delayMs, intervalMs, this.fired);
    this.armed.set(id, result);
    try {
      this.impl.start(result);
    } catch (e) {
      this.armed.delete(id);
      throw e;
    }
    return id;
  }

  /** Cancels one timer; returns 1 if it was armed, else 0. Its act goes to out.act. */
  cancel(timerId: number, out?: { act?: unknown }): number {
    const result = this.armed.get(timerId);
    if (!result) return 0;
    if (out) out.act = result.act;
    this.armed.delete(timerId);
    result.cancelled = true;
    this.impl.cancel(result);
    return 1;
  }

  /** Cancels every timer of handler; returns how many. */
  cancelHandler(handler: Handler): number {
    let n = 0;
    for (const [id, result] of [...this.armed]) {
      if (result.handler() === handler) n += this.cancel(id);
    }
    return n;
  }

  /** Timers armed now. */
  get size(): number {
    return this.armed.size;
  }

  /** Every completion of a timer comes here first: it leaves the armed set or, at an interval's expiry, re-arms. */
  private readonly fired = (result: AsynchTimerResult): void => {
    if (this.armed.get(result.timerId) !== result) return;
    if (!result.success || this.impl.isClosed()) {
      // An expiry delivered after close() (its handler closed the proactor) is not dispatched.
      result.cancelled = this.impl.isClosed();
      this.armed.delete(result.timerId);
      if (!result.success && result.error !== Errno.ECANCELED) {
        this.impl.report(ProactorError.fromErrno(-result.error, `timer ${result.timerId}`), result);
      }
      return;
    }
    if (result.interval > 0 && !this.impl.isClosed()) {
      result.advance(monotonicMs());
      try {
        this.impl.start(result);
        return;
      } catch (e) {
        this.armed.delete(result.timerId);
        this.impl.report(e, result);
        return;
      }
    }
    this.armed.delete(result.timerId);
  };

}
