import { performance } from 'node:perf_hooks';
import { INVALID_HANDLE, type Handle } from '../common/Handle';
import { ProactorError } from '../common/ProactorError';
import { type EventHandler } from './EventHandler';
import { type HandlerEntry, HandlerRepository, Interest, IO_MASK, Readiness } from './HandlerRepository';
import { ReactorImpl } from './ReactorImpl';
import { ReactorMask, type ReactorMaskBits } from './ReactorMask';
import { type ReactorOptions } from './ReactorOptions';
import { type NativeReactorBackend } from '../native/NativeBinding';
import { loadNative } from '../native/loadNative';
import { ReactorTimers } from './ReactorTimers';

/** Batches taken in one wake before yielding to Node's loop. */
const MAX_BATCHES_PER_WAKE = 16;
/** The longest wait the kernel takes, in ms (a 32-bit int). */
const MAX_WAIT_MS = 0x7fffffff;

type Upcall = 'output' | 'exception' | 'input';
const UPCALL_MASK: Record<Upcall, number> = {
  output: ReactorMask.WRITE_MASK | ReactorMask.CONNECT_MASK,
  exception: ReactorMask.EXCEPT_MASK,
  input: ReactorMask.READ_MASK | ReactorMask.ACCEPT_MASK,
};
/** The readiness that calls a hook again when it returned > 0. */
const UPCALL_AGAIN: Record<Upcall, number> = { output: Interest.WRITABLE, exception: Interest.PRIORITY, input: Interest.READABLE };

/**
 * The machinery every demultiplexer shares: the handler repository, the
 * timer heap, the (fd, events) array the addon fills, and both dispatch
 * strategies. A subclass only names its demultiplexer.
 */
export class NativeReactorImpl extends ReactorImpl {
  private readonly native: NativeReactorBackend;
  private readonly events: Int32Array;
  private readonly capacity: number;
  private readonly repo: HandlerRepository;
  private readonly timers_ = new ReactorTimers(
    (handler, mask) => this.close_(handler, INVALID_HANDLE, mask),
    (error, handler) => this.errorHook(error, handler),
  );
  /** Handles whose hooks returned > 0: readiness to dispatch before the next wait. */
  private again = new Map<Handle, number>();
  private dispatching = false;
  private watching = false;
  private closed = false;
  private nodeTimer: NodeJS.Timeout | undefined;
  private nodeTimerDue = Infinity;
  private drainQueued = false;

  constructor(
    readonly name: string,
    options: ReactorOptions,
  ) {
    super();
    this.capacity = options.eventBatch ?? 1024;
    this.events = new Int32Array(2 * this.capacity);
    try {
      this.native = new (loadNative().ReactorBackend)(name, this.events, this.onReady);
    } catch (e) {
      const err = e as Error & { errno?: number; syscall?: string };
      throw new ProactorError('backend-unavailable', `${name}: ${err.message}`, err.errno, err.syscall);
    }
    this.repo = new HandlerRepository(this.native, name);
  }

  describe(): string {
    return this.native.describe();
  }

  registerHandler(handle: Handle, handler: EventHandler, mask: ReactorMaskBits): void {
    this.checkOpen('registerHandler');
    this.repo.bind(handle, handler, mask);
  }

  removeHandler(handle: Handle, mask: ReactorMaskBits): number {
    const entry = this.repo.unbind(handle, mask);
    if (!entry) return -1;
    if (entry.mask === 0) this.again.delete(handle);
    if (!(mask & ReactorMask.DONT_CALL)) this.close_(entry.handler, handle, mask & IO_MASK);
    return 0;
  }

  suspendHandler(handle: Handle): number {
    return this.repo.setSuspended(handle, true);
  }

  /** Watches handle again after suspendHandler; 0, or -1 when it is not registered. */
  resumeHandler(handle: Handle): number {
    return this.repo.setSuspended(handle, false);
  }

  findHandler(handle: Handle): EventHandler | undefined {
    return this.repo.find(handle)?.handler;
  }

  handleOf(handler: EventHandler): Handle | undefined {
    return this.repo.handleOf(handler);
  }

  maskOf(handle: Handle): ReactorMaskBits {
    return this.repo.find(handle)?.mask ?? 0;
  }

  /** Whether handle is registered and suspended. */
  isSuspended(handle: Handle): boolean {
    return this.repo.find(handle)?.suspended ?? false;
  }

  size(): number {
    return this.repo.size;
  }

  scheduleTimer(handler: EventHandler, act: unknown, delayMs: number, intervalMs: number): number {
    this.checkOpen('scheduleTimer');
    const id = this.timers_.schedule(handler, act, delayMs, intervalMs);
    this.armNodeTimer();
    return id;
  }

  cancelTimer(timer: number | EventHandler, dontCallHandleClose: boolean): number {
    const n = this.timers_.cancel(timer, dontCallHandleClose);
    this.armNodeTimer();
    return n;
  }

  timers(): number {
    return this.timers_.size;
  }

  handleEvents(timeoutMs: number): number {
    if (this.dispatching) throw new ProactorError('reentrant', 'handleEvents() was called from inside an event handler');
    this.checkOpen('handleEvents');
    return this.run(timeoutMs, 1);
  }

  watch(on: boolean): void {
    if (this.closed || on === this.watching) return;
    this.watching = on;
    if (on) {
      this.native.start();
      this.armNodeTimer();
      if (this.again.size > 0) this.queueDrain();
    } else {
      this.native.stop();
      this.armNodeTimer();
    }
  }

  close(): void {
    if (this.closed) return;
    this.watch(false);
    this.closed = true;
    // A handleClose may remove other handlers itself: each hears it once.
    for (const { handle, handler, mask } of this.repo.all()) {
      if (this.repo.unbind(handle, mask)) this.close_(handler, handle, mask);
    }
    this.timers_.cancelAll();
    this.again.clear();
    this.native.destroy();
  }

  /** Whether close() was called. */
  isClosed(): boolean {
    return this.closed;
  }

  /** Waits up to timeoutMs (shortened for timers and pending re-calls), then dispatches. */
  private run(timeoutMs: number, maxBatches: number): number {
    const again = this.again.size > 0 ? this.again : undefined;
    if (again) this.again = new Map();
    let wait = again ? 0 : this.timeoutFor(timeoutMs);
    let count = 0;
    this.dispatching = true;
    try {
      for (let batch = 0; batch < maxBatches; batch++) {
        const n = this.native.wait(wait);
        if (n < 0) {
          this.errorHook(ProactorError.fromErrno(n, `${this.name} wait`), undefined);
          return -1;
        }
        count += batch === 0 && again ? this.dispatchMerged(n, again) : this.dispatchBatch(n);
        if (n < this.capacity) break;
        wait = 0;
      }
      count += this.timers_.expire();
    } finally {
      this.dispatching = false;
    }
    this.armNodeTimer();
    if (this.watching && this.again.size > 0) this.queueDrain();
    return count;
  }

  private timeoutFor(timeoutMs: number): number {
    const untilTimer = this.timers_.earliest() - performance.now();
    let ms = timeoutMs < 0 ? Infinity : timeoutMs;
    if (untilTimer < ms) ms = Math.max(0, Math.ceil(untilTimer));
    return ms === Infinity ? -1 : Math.min(ms, MAX_WAIT_MS);
  }

  private dispatchBatch(n: number): number {
    const ev = this.events;
    let count = 0;
    for (let i = 0; i < n; i++) count += this.dispatchHandle(ev[2 * i], ev[2 * i + 1]);
    return count;
  }

  /** A batch plus the handles whose hooks asked to be called again. */
  private dispatchMerged(n: number, again: Map<Handle, number>): number {
    const ev = this.events;
    for (let i = 0; i < n; i++) again.set(ev[2 * i], (again.get(ev[2 * i]) ?? 0) | ev[2 * i + 1]);
    let count = 0;
    for (const [handle, readiness] of again) count += this.dispatchHandle(handle, readiness);
    return count;
  }

  /**
   * ACE's order: output, then exception, then input. An error or hang-up
   * goes to handleOutput and handleInput where registered, else to
   * handleException, so no handler misses it. Returns 1 if a hook ran.
   */
  private dispatchHandle(handle: Handle, readiness: number): number {
    const entry = this.repo.find(handle);
    if (!entry || entry.suspended) return 0;
    if (readiness & Readiness.INVALID) {
      // The handle was closed while registered (ACE's check_handles).
      this.removeHandler(handle, entry.mask);
      return 1;
    }
    const failed = readiness & (Readiness.ERROR | Readiness.HANGUP);
    const urgent = readiness & Interest.PRIORITY || (failed && !(entry.mask & (UPCALL_MASK.input | UPCALL_MASK.output)));
    let ran = 0;
    if (readiness & (Interest.WRITABLE | failed) && entry.mask & UPCALL_MASK.output) ran = this.upcall(entry, 'output');
    if (urgent && this.live(entry) && entry.mask & UPCALL_MASK.exception) ran = this.upcall(entry, 'exception');
    if (readiness & (Interest.READABLE | failed) && this.live(entry) && entry.mask & UPCALL_MASK.input) ran = this.upcall(entry, 'input');
    return ran;
  }

  /** Calls one hook and acts on what it returns; returns 1. */
  private upcall(entry: HandlerEntry, kind: Upcall): number {
    const { handler, handle } = entry;
    let rc: number;
    try {
      rc = kind === 'input' ? handler.handleInput(handle) : kind === 'output' ? handler.handleOutput(handle) : handler.handleException(handle);
    } catch (e) {
      this.errorHook(e, handler);
      rc = -1;
    }
    if (rc < 0) {
      const bits = entry.mask & UPCALL_MASK[kind];
      if (bits && this.live(entry)) this.removeHandler(handle, bits);
    } else if (rc > 0 && this.live(entry)) {
      this.again.set(handle, (this.again.get(handle) ?? 0) | UPCALL_AGAIN[kind]);
    }
    return 1;
  }

  private live(entry: HandlerEntry): boolean {
    return this.repo.find(entry.handle) === entry && !entry.suspended;
  }

  private close_(handler: EventHandler, handle: Handle, mask: ReactorMaskBits): void {
    try {
      handler.handleClose(handle, mask);
    } catch (e) {
      this.errorHook(e, handler);
    }
  }

  private checkOpen(what: string): void {
    if (this.closed) throw new ProactorError('closed', `${what}() on a closed reactor`);
  }

  /** libuv saw the notification fd readable (post-reactive). */
  private readonly onReady = (status: number): void => {
    if (status < 0) this.errorHook(ProactorError.fromErrno(status, `${this.name} poll`), undefined);
    this.drain();
  };

  private drain(): void {
    if (this.dispatching || this.closed) return;
    this.run(0, MAX_BATCHES_PER_WAKE);
  }

  private queueDrain(): void {
    if (this.drainQueued) return;
    this.drainQueued = true;
    setImmediate(() => {
      this.drainQueued = false;
      if (this.watching) this.drain();
    });
  }

  /** Post-reactive timers: one Node timer, set for the earliest one due. */
  private armNodeTimer(): void {
    const due = this.watching && !this.closed ? this.timers_.earliest() : Infinity;
    if (due === this.nodeTimerDue) return;
    if (this.nodeTimer) clearTimeout(this.nodeTimer);
    this.nodeTimer = undefined;
    this.nodeTimerDue = due;
    if (due === Infinity) return;
    this.nodeTimer = setTimeout(() => {
      this.nodeTimer = undefined;
      this.nodeTimerDue = Infinity;
      this.drain();
      this.armNodeTimer();
    }, Math.max(1, Math.ceil(due - performance.now())));
  }
}
