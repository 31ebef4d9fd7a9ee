import { INVALID_HANDLE, type Handle } from '../common/Handle';
import { ProactorError } from '../common/ProactorError';
import { errnoName } from '../common/errno';
import { type BufferRing, type BufferRingOptions } from './BufferRing';
import { Handler } from './Handler';
import { ProactorFactory } from './ProactorFactory';
import { type HandlerErrorHook, ProactorImpl } from './ProactorImpl';
import { type DispatchStrategy, type ProactorOptions } from './ProactorOptions';
import { ProactorTimers } from './ProactorTimers';
import { type RegisteredBufferPool } from './RegisteredBufferPool';
import { AsynchWakeupResult } from './results/AsynchWakeupResult';

/** One run of the event loop, from proactorRunEventLoop to its end. */
interface Run {
  done: Promise<void>;
  resolve: () => void;
  strategy: DispatchStrategy;
  /** Ends a timed run. */
  timer?: NodeJS.Timeout;
}

/** How a run of the event loop is bounded. */
export interface RunOptions {
  /** End the run after this many ms (ACE's run_event_loop(tv)); default: until proactorEndEventLoop(). */
  timeLimitMs?: number;
}

/** The longest handleEvents wait the kernel takes in one call (2^31 - 1 ms). */
const MAX_WAIT_MS = 0x7fffffff;

/** How long a busy call-through loop dispatches before Node's loop gets a turn. */
const CALL_THROUGH_TURN_MS = 10;

/**
 * ACE_Proactor — POSA2 Proactor (Completion Dispatcher). It takes the
 * completions of asynchronous operations from the kernel and calls each
 * one's handler. One per thread; `Proactor.instance()` is the process-wide
 * singleton, `new Proactor()` an independent one.
 *
 * @example
 * const proactor = Proactor.instance();
 * void proactor.proactorRunEventLoop();   // dispatch from Node's loop
 * // … start operations; a handler calls proactor.proactorEndEventLoop() to stop
 */
export class Proactor {
  private static singleton: Proactor | undefined;
  private readonly impl: ProactorImpl;
  private readonly timers: ProactorTimers;
  private running: Run | undefined;
  private endRequested = false;
  private readonly wakeupHandler = new Handler();

  /** A proactor over impl, or over the backend the factory picks for options. */
  constructor(implOrOptions: ProactorImpl | ProactorOptions = {}) {
    this.impl = implOrOptions instanceof ProactorImpl ? implOrOptions : ProactorFactory.create(implOrOptions);
    this.timers = new ProactorTimers(this.impl);
  }

  /** The process-wide Proactor, created on first use. */
  static instance(): Proactor;
  /** Replaces the singleton (null: forget it); returns the previous one. */
  static instance(proactor: Proactor | null): Proactor | undefined;
  static instance(proactor?: Proactor | null): Proactor | undefined {
    if (proactor === undefined) {
      if (!Proactor.singleton || Proactor.singleton.impl.isClosed()) Proactor.singleton = new Proactor();
      return Proactor.singleton;
    }
    const previous = Proactor.singleton;
    Proactor.singleton = proactor ?? undefined;
    return previous;
  }

  /** Closes the process-wide Proactor, if one was made, and forgets it (ACE's close_singleton). */
  static async closeSingleton(): Promise<void> {
    const singleton = Proactor.singleton;
    Proactor.singleton = undefined;
    await singleton?.close();
  }

  /** The Bridge implementor (backend) behind this proactor. */
  implementation(): ProactorImpl {
    return this.impl;
  }

  /** The backend's name ('uring', 'epoll' or 'aio'). */
  get backend(): string {
    return this.impl.name;
  }

  /** Where exceptions thrown by completion handlers go; dispatch continues. */
  set errorHook(hook: HandlerErrorHook) {
    this.impl.errorHook = hook;
  }

  /** Where exceptions thrown by completion handlers go (stderr by default); dispatch goes on. */
  get errorHook(): HandlerErrorHook {
    return this.impl.errorHook;
  }

  /**
   * Dispatches completions until proactorEndEventLoop(); the Promise settles
   * then. 'post-reactive' (default): Node's loop wakes the proactor when
   * completions are ready. 'call-through': this thread takes completions
   * from the kernel itself, batch after batch, for as long as there are
   * any (Promise continuations run between batches, Node's timers and I/O
   * at least every 10 ms); when there are none, Node's loop waits for the
   * next, and for its own work alike. Called again while running, it
   * returns the same Promise; asking for the other strategy then throws.
   */
  proactorRunEventLoop(strategy: DispatchStrategy = 'post-reactive', options: RunOptions = {}): Promise<void> {
    const limit = options.timeLimitMs;
    if (limit !== undefined && !(Number.isFinite(limit) && limit >= 0 && limit <= MAX_WAIT_MS)) {
      throw new ProactorError('invalid-argument', `proactorRunEventLoop: timeLimitMs must be from 0 to ${MAX_WAIT_MS}, got ${limit}`);
    }
    if (strategy !== 'post-reactive' && strategy !== 'call-through') {
      throw new ProactorError('invalid-argument', `proactorRunEventLoop: unknown strategy '${String(strategy)}' (post-reactive or call-through)`);
    }
    if (this.running) {
      if (this.running.strategy !== strategy) {
        throw new ProactorError(
          'invalid-argument',
          `proactorRunEventLoop('${strategy}'): the loop is already running '${this.running.strategy}'; end it first`,
        );
      }
      return this.running.done;
    }
    if (this.impl.isClosed()) throw new ProactorError('closed', 'proactorRunEventLoop() on a closed proactor');
    this.endRequested = false;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const run: Run = { done, resolve, strategy };
    this.running = run;
    if (limit !== undefined) {
      // ACE's run_event_loop(tv): the run ends when the time is up, without
      // asking the loop to end (proactorEventLoopDone() stays false).
      run.timer = setTimeout(() => {
        if (this.running !== run) return;
        this.finishRun();
        if (strategy === 'call-through') this.impl.wakeup();
      }, limit);
    }
    if (strategy === 'post-reactive') this.impl.watch(true);
    else void this.runCallThrough(run);
    return done;
  }

  private async runCallThrough(run: Run): Promise<void> {
    // Started from inside a handler, the loop begins once that dispatch is over.
    await undefined;
    let turnedAt = performance.now();
    try {
      while (this.running === run && !this.impl.isClosed()) {
        if (this.impl.handleEvents(0) > 0) {
          // Busy: dispatch on, letting Node's loop turn now and then.
          if (performance.now() - turnedAt < CALL_THROUGH_TURN_MS) {
            await undefined;
            continue;
          }
          await new Promise<void>((resolve) => setImmediate(resolve));
        } else {
          // Idle: Node's loop waits, for the ring and its own work alike.
          await this.impl.whenReady();
        }
        turnedAt = performance.now();
      }
    } catch (e) {
      this.impl.report(e, undefined);
    } finally {
      if (this.running === run) this.finishRun();
    }
  }

  /** Stops the event loop started by proactorRunEventLoop; its Promise settles now. */
  proactorEndEventLoop(): void {
    this.endRequested = true;
    const running = this.running;
    if (!running) return;
    this.finishRun();
    // A call-through loop waiting for completions stops waiting, and ends.
    if (running.strategy === 'call-through') this.impl.wakeup();
  }

  /** Clears the request to end, so that proactorEventLoopDone() is false again (ACE's proactor_reset_event_loop). */
  proactorResetEventLoop(): void {
    this.endRequested = false;
  }

  /**
   * The fd that polls readable while completions wait to be dispatched
   * (ACE's get_handle): watch it in another event loop and call
   * handleEvents(0) when it is readable.
   */
  getHandle(): number {
    return this.impl.notifyHandle();
  }

  /** Whether the event loop has been asked to end. */
  proactorEventLoopDone(): boolean {
    return this.endRequested;
  }

  /**
   * Call-through dispatch: waits in the kernel up to timeoutMs (-1 or
   * Infinity: no limit — with nothing in flight that is for ever; 0: only
   * what is ready) and dispatches every completion ready. Returns 1 if any
   * were dispatched, 0 on timeout, -1 on error.
   */
  handleEvents(timeoutMs = -1): number {
    if (timeoutMs === Infinity) timeoutMs = -1;
    if (timeoutMs !== -1 && !(Number.isInteger(timeoutMs) && timeoutMs >= 0 && timeoutMs <= MAX_WAIT_MS)) {
      throw new ProactorError('invalid-argument', `handleEvents: timeoutMs must be -1, Infinity or a whole number of ms up to ${MAX_WAIT_MS}, got ${timeoutMs}`);
    }
    return this.impl.handleEvents(timeoutMs);
  }

  /** Calls handler.handleTimeOut(now, act) after delayMs, then every intervalMs if > 0. */
  scheduleTimer(handler: Handler, act: unknown, delayMs: number, intervalMs = 0): number {
    return this.timers.schedule(handler, act, delayMs, intervalMs);
  }

  /** Calls handler.handleTimeOut(now, act) every intervalMs, the first time intervalMs from now (ACE's schedule_repeating_timer). */
  scheduleRepeatingTimer(handler: Handler, act: unknown, intervalMs: number): number {
    if (!(intervalMs > 0)) throw new ProactorError('invalid-argument', `scheduleRepeatingTimer: the interval must be > 0, got ${intervalMs}`);
    return this.timers.schedule(handler, act, intervalMs, intervalMs);
  }

  /**
   * Cancels a timer by id, or all of a handler's; returns how many were
   * cancelled. Given `out` with an id, the timer's act is put in out.act
   * (ACE's `const void **act` out-parameter).
   */
  cancelTimer(timer: number | Handler, out?: { act?: unknown }): number {
    return typeof timer === 'number' ? this.timers.cancel(timer, out) : this.timers.cancelHandler(timer);
  }

  /** Posts howMany no-op completions; each calls handler.handleWakeup(). */
  proactorPostWakeupCompletions(howMany: number, handler: Handler = this.wakeupHandler): void {
    for (let i = 0; i < howMany; i++) this.impl.start(new AsynchWakeupResult(handler));
  }

  /**
   * Cancels every operation in flight on handle (each completes with
   * ECANCELED), then closes it. Settles when the handle is closed.
   */
  closeHandle(handle: Handle): Promise<void> {
    // Nothing to close (a handle the framework has taken back, or never had).
    if (handle === INVALID_HANDLE) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.impl.closeHandle(handle, (error) => {
        if (error === 0) resolve();
        else reject(new ProactorError('system', `close(${handle}): ${errnoName(error)}`, error, 'close'));
      });
    });
  }

  /**
   * The registered buffer pool: blocks the kernel reads and writes without
   * mapping them per operation (ProactorOptions.bufferPool). Made on first use.
   */
  bufferPool(): RegisteredBufferPool {
    return this.impl.bufferPool();
  }

  /**
   * A provided-buffer ring for this proactor's AsynchReadStream.readMultishot
   * and readFromRing; lives as long as the proactor. ProactorError
   * 'unsupported' where the backend has none (aio; io_uring before 6.0):
   * check implementation().supports('recvMultishot') first.
   */
  createBufferRing(options?: BufferRingOptions): BufferRing {
    return this.impl.createBufferRing(options);
  }

  /** Operations in flight: timers included, and reads waiting for a ring buffer. */
  inflight(): number {
    return this.impl.inflight();
  }

  /**
   * Cancels every operation and timer, dispatches their completions
   * (ECANCELED), ends the event loop and releases the backend.
   */
  close(): Promise<void> {
    this.endRequested = true;
    this.impl.close();
    this.finishRun();
    if (Proactor.singleton === this) Proactor.singleton = undefined;
    return Promise.resolve();
  }

  private finishRun(): void {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    if (running.timer) clearTimeout(running.timer);
    if (running.strategy === 'post-reactive') this.impl.watch(false);
    running.resolve();
  }
}
