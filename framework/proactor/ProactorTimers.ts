import { ProactorError } from '../common/ProactorError';
import { type Handler } from './Handler';
import { type ProactorImpl } from './ProactorImpl';
import { AsynchTimerResult } from './results/AsynchTimerResult';

/**
 * The Proactor's timers, each one a timeout operation in the kernel (ACE
 * keeps a timer queue and a thread; here the Asynchronous Operation
 * Processor does the waiting). Interval timers re-arm as they fire.
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
    this.arm(handler, act, id, delayMs, intervalMs);
    return id;
  }

  /** Cancels one timer; returns 1 if it was armed, else 0. */
  cancel(timerId: number): number {
    const result = this.armed.get(timerId);
    if (!result) return 0;
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

  private arm(handler: Handler, act: unknown, id: number, delay: number, interval: number): void {
    const result = new AsynchTimerResult(handler, act, id, delay, interval, this.fired);
    this.armed.set(id, result);
    this.impl.start(result);
  }

  private readonly fired = (result: AsynchTimerResult): void => {
    if (this.armed.get(result.timerId) !== result) return;
    this.armed.delete(result.timerId);
    const handler = result.handler();
    if (result.interval > 0 && handler && !this.impl.isClosed()) {
      this.arm(handler, result.act, result.timerId, result.interval, result.interval);
    }
  };
}
