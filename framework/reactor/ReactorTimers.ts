import { performance } from 'node:perf_hooks';
import { ProactorError } from '../common/ProactorError';
import { type EventHandler } from './EventHandler';
import { ReactorMask } from './ReactorMask';
import { TimerQueue } from './TimerQueue';

/**
 * The Reactor's timers: a TimerQueue and the timeout upcall (ACE's
 * ACE_Event_Handler_Handle_Timeout_Upcall). The reactor waits in the
 * kernel no longer than until the earliest is due, then expires them.
 */
export class ReactorTimers {
  private readonly queue = new TimerQueue();

  constructor(
    /** Calls handler.handleClose(INVALID_HANDLE, mask), reporting what it throws. */
    private readonly close: (handler: EventHandler, mask: number) => void,
    /** Reports what handleTimeout threw. */
    private readonly report: (error: unknown, handler: EventHandler) => void,
  ) {}

  /** Timers scheduled. */
  get size(): number {
    return this.queue.size;
  }

  /** When the earliest is due (performance.now() clock), or Infinity. */
  earliest(): number {
    return this.queue.earliest();
  }

  schedule(handler: EventHandler, act: unknown, delayMs: number, intervalMs: number): number {
    if (!(delayMs >= 0) || !(intervalMs >= 0) || !Number.isFinite(delayMs) || !Number.isFinite(intervalMs)) {
      throw new ProactorError('invalid-argument', `scheduleTimer: delay and interval must be finite and >= 0 (got ${delayMs}, ${intervalMs})`);
    }
    return this.queue.schedule(handler, act, performance.now() + delayMs, intervalMs);
  }

  /** Cancels a timer, or every timer of a handler; handleClose(TIMER_MASK) once unless told not to. */
  cancel(timer: number | EventHandler, dontCallHandleClose: boolean): number {
    const nodes = typeof timer === 'number' ? [this.queue.get(timer)].filter((n) => n !== undefined) : this.queue.timersOf(timer);
    for (const node of nodes) this.queue.cancel(node.id);
    if (nodes.length > 0 && !dontCallHandleClose) this.close(nodes[0].handler, ReactorMask.TIMER_MASK);
    return nodes.length;
  }

  /** Cancels every timer; each handler hears handleClose(TIMER_MASK) once. */
  cancelAll(): void {
    const handlers = new Set(this.queue.all().map((node) => node.handler));
    for (const node of this.queue.all()) this.queue.cancel(node.id);
    for (const handler of handlers) this.close(handler, ReactorMask.TIMER_MASK);
  }

  /**
   * Calls handleTimeout for every timer due now; returns how many. As in
   * ACE, a handler returning -1 (or throwing) loses all its timers and
   * hears handleClose(INVALID_HANDLE, TIMER_MASK).
   */
  expire(): number {
    const now = performance.now();
    const mark = this.queue.mark();
    let count = 0;
    for (let node = this.queue.popDue(now, mark); node; node = this.queue.popDue(now, mark)) {
      count++;
      let rc: number;
      try {
        rc = node.handler.handleTimeout(Date.now(), node.act);
      } catch (e) {
        this.report(e, node.handler);
        rc = -1;
      }
      if (rc < 0) {
        this.cancel(node.handler, true);
        this.close(node.handler, ReactorMask.TIMER_MASK);
      }
    }
    return count;
  }
}
