import { type Handle } from '../common/Handle';
import { ProactorError } from '../common/ProactorError';
import { type EventHandler } from './EventHandler';
import { ReactorFactory } from './ReactorFactory';
import { type ReactorErrorHook, ReactorImpl } from './ReactorImpl';
import { type ReactorMaskBits } from './ReactorMask';
import { type ReactorDispatchStrategy, type ReactorOptions } from './ReactorOptions';

/**
 * ACE_Reactor — POSA2 Reactor (Initiation Dispatcher). It waits for
 * handles to become ready and calls the handler registered for each event;
 * timers run on the same wait. `Reactor.instance()` is the process-wide
 * singleton, `new Reactor()` an independent one. It shares Node's thread
 * with a Proactor: both loops run post-reactive from libuv.
 *
 * @example
 * const reactor = Reactor.instance();
 * reactor.registerHandler(handler, ReactorMask.READ_MASK);
 * void reactor.runReactorEventLoop();   // dispatch from Node's loop
 * // … a handler calls reactor.endReactorEventLoop() to stop
 */
export class Reactor {
  private static singleton: Reactor | undefined;
  private readonly impl: ReactorImpl;
  private running: { done: Promise<void>; resolve: () => void; strategy: ReactorDispatchStrategy } | undefined;
  private endRequested = false;

  /** A reactor over impl, or over the demultiplexer the factory picks for options. */
  constructor(implOrOptions: ReactorImpl | ReactorOptions = {}) {
    this.impl = implOrOptions instanceof ReactorImpl ? implOrOptions : ReactorFactory.create(implOrOptions);
  }

  /** The process-wide Reactor, created on first use. */
  static instance(): Reactor;
  /** Replaces the singleton (null: forget it); returns the previous one. */
  static instance(reactor: Reactor | null): Reactor | undefined;
  static instance(reactor?: Reactor | null): Reactor | undefined {
    if (reactor === undefined) {
      if (!Reactor.singleton || Reactor.singleton.impl.isClosed()) Reactor.singleton = new Reactor();
      return Reactor.singleton;
    }
    const previous = Reactor.singleton;
    Reactor.singleton = reactor ?? undefined;
    return previous;
  }

  /** The Bridge implementor (demultiplexer) behind this reactor. */
  implementation(): ReactorImpl {
    return this.impl;
  }

  /** The demultiplexer's name ('epoll', 'poll'). */
  get backend(): string {
    return this.impl.name;
  }

  /** Where exceptions thrown by event handlers go; dispatch continues. */
  set errorHook(hook: ReactorErrorHook) {
    this.impl.errorHook = hook;
  }

  /** Where exceptions thrown by event handlers go (stderr by default); dispatch goes on. */
  get errorHook(): ReactorErrorHook {
    return this.impl.errorHook;
  }

  /**
   * Registers handler for mask's events on handler.getHandle(), or on the
   * handle given. Registering more events for the same handler adds them.
   * Throws a ProactorError if the handle is another handler's or the kernel
   * refuses it.
   */
  registerHandler(handler: EventHandler, mask: ReactorMaskBits): number;
  registerHandler(handle: Handle, handler: EventHandler, mask: ReactorMaskBits): number;
  registerHandler(a: EventHandler | Handle, b: EventHandler | ReactorMaskBits, c?: ReactorMaskBits): number {
    const [handle, handler, mask] = typeof a === 'number' ? [a, b as EventHandler, c ?? 0] : [a.getHandle(), a, b as number];
    this.impl.registerHandler(handle, handler, mask);
    handler.reactor(this);
    return 0;
  }

  /**
   * Removes mask's events for a handler (or handle); handleClose(handle,
   * mask) follows unless mask has DONT_CALL. Returns -1 if it was not
   * registered.
   */
  removeHandler(target: EventHandler | Handle, mask: ReactorMaskBits): number {
    return this.impl.removeHandler(this.handleFor(target), mask);
  }

  /** Stops dispatching a handler's events until resumeHandler; -1 if not registered or already suspended. */
  suspendHandler(target: EventHandler | Handle): number {
    return this.impl.suspendHandler(this.handleFor(target));
  }

  /** ACE's resume_handler: watches target's handle again; 0, or -1 when it is not registered. */
  resumeHandler(target: EventHandler | Handle): number {
    return this.impl.resumeHandler(this.handleFor(target));
  }

  /** The handler registered for handle. */
  findHandler(handle: Handle): EventHandler | undefined {
    return this.impl.findHandler(handle);
  }

  /** The events a handler (or handle) is registered for; 0 when it is not. */
  maskOf(target: EventHandler | Handle): ReactorMaskBits {
    return this.impl.maskOf(this.handleFor(target));
  }

  /** Whether target's handle is registered and suspended. */
  isSuspended(target: EventHandler | Handle): boolean {
    return this.impl.isSuspended(this.handleFor(target));
  }

  /** Handles registered. */
  size(): number {
    return this.impl.size();
  }

  /** Calls handler.handleTimeout(now, act) after delayMs, then every intervalMs if > 0; returns the timer id. */
  scheduleTimer(handler: EventHandler, act: unknown, delayMs: number, intervalMs = 0): number {
    return this.impl.scheduleTimer(handler, act, delayMs, intervalMs);
  }

  /**
   * Cancels a timer by id, or all of a handler's; returns how many. With
   * dontCallHandleClose false, handleClose(INVALID_HANDLE, TIMER_MASK) follows.
   */
  cancelTimer(timer: number | EventHandler, dontCallHandleClose = true): number {
    return this.impl.cancelTimer(timer, dontCallHandleClose);
  }

  /** Timers scheduled. */
  timers(): number {
    return this.impl.timers();
  }

  /**
   * Call-through dispatch: waits up to timeoutMs (-1: no limit, shortened
   * for timers) and dispatches what is ready. Returns the number of
   * handlers and timers dispatched, 0 on timeout, -1 on error.
   */
  handleEvents(timeoutMs = -1): number {
    return this.impl.handleEvents(timeoutMs);
  }

  /**
   * Dispatches events until endReactorEventLoop(); the Promise settles then.
   * 'post-reactive' (default): Node's loop wakes the reactor, so a Proactor
   * and the rest of Node run alongside. 'call-through': this thread waits
   * in the kernel; only microtasks run in between.
   */
  runReactorEventLoop(strategy: ReactorDispatchStrategy = 'post-reactive'): Promise<void> {
    if (this.running) return this.running.done;
    if (this.impl.isClosed()) throw new ProactorError('closed', 'runReactorEventLoop() on a closed reactor');
    this.endRequested = false;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    this.running = { done, resolve, strategy };
    if (strategy === 'post-reactive') this.impl.watch(true);
    else void this.runCallThrough();
    return done;
  }

  private async runCallThrough(): Promise<void> {
    try {
      while (!this.endRequested && !this.impl.isClosed()) {
        if (this.handleEvents(-1) < 0) break;
        await undefined;
      }
    } finally {
      this.finishRun();
    }
  }

  /** Stops the event loop started by runReactorEventLoop. */
  endReactorEventLoop(): void {
    this.endRequested = true;
    if (this.running?.strategy === 'post-reactive') this.finishRun();
  }

  /** Whether the event loop has been asked to end. */
  reactorEventLoopDone(): boolean {
    return this.endRequested;
  }

  /**
   * Ends the event loop, removes every handler (each gets handleClose with
   * its mask), cancels every timer (handleClose with TIMER_MASK) and
   * releases the demultiplexer.
   */
  close(): Promise<void> {
    this.endRequested = true;
    this.finishRun();
    this.impl.close();
    if (Reactor.singleton === this) Reactor.singleton = undefined;
    return Promise.resolve();
  }

  private handleFor(target: EventHandler | Handle): Handle {
    return typeof target === 'number' ? target : (this.impl.handleOf(target) ?? target.getHandle());
  }

  private finishRun(): void {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    if (running.strategy === 'post-reactive') this.impl.watch(false);
    running.resolve();
  }
}
