import { type Handle, noteHandleClosing, watchHandleCloses } from '../common/Handle';
import { debug } from '../common/debug';
import { Errno, errnoName } from '../common/errno';
import { ProactorError } from '../common/ProactorError';
import { CompletionFlag, type NativeProactor, type NativeVerb } from '../native/NativeBinding';
import { loadNative } from '../native/loadNative';
import { packHotCalls } from '../native/packHotCalls';
import { type AsynchOperation } from './AsynchOperation';
import { type AsynchResult } from './AsynchResult';
import { BufferRing, type BufferRingOptions, type BufferWaiter, noBufferRings } from './BufferRing';
import { InflightTable } from './InflightTable';
import { type CancelCount, ProactorImpl } from './ProactorImpl';
import { type ProactorOptions } from './ProactorOptions';
import { RegisteredBufferPool } from './RegisteredBufferPool';
import { AsynchCloseResult } from './results/AsynchCloseResult';

/** Batches dispatched in one wake before yielding to Node's loop. */
const MAX_BATCHES_PER_WAKE = 64;
/** How often close() says it still waits for the kernel. */
const CLOSE_WARN_MS = 5000;
/** How long a submission the kernel refused for want of memory waits before it is tried again. */
const SUBMIT_RETRY_MS = 1;

/**
 * The machinery of a backend in the addon (UringProactorImpl,
 * EpollProactorImpl): the in-flight table, the completion array the addon
 * fills, batched submission, both dispatch strategies, and close. A backend
 * subclass only names itself and checks its verbs.
 */
export class NativeProactorImpl extends ProactorImpl {
  private readonly native: NativeProactor;
  private readonly completions: Int32Array;
  /** read's and write's operands but the buffer, shared with the addon (packHotCalls). */
  private readonly operands = new Float64Array(new ArrayBuffer(6 * Float64Array.BYTES_PER_ELEMENT));
  private readonly table = new InflightTable();
  /** The batch being dispatched: its entries [batchPos, batchEnd) are still to go. */
  private batchPos = 0;
  private batchEnd = 0;
  private dispatching = false;
  private flushQueued = false;
  private drainQueued = false;
  private retryQueued = false;
  private watching = false;
  /** Whether the native side holds this object strongly (see hold()). */
  private held = false;
  private closing = false;
  private closed = false;
  /** Operations started while closing: they complete with ECANCELED, never reaching the kernel. */
  private stillborn: AsynchResult[] = [];
  /** getHandle() was asked for: handleEvents re-arms the handle as it drains. */
  private handleWatched = false;
  /** The call-through loop's idle wait (whenReady), settled by the next wake. */
  private readyWaiter: (() => void) | undefined;
  /** Completions of results whose handler is running (close() from inside it): delivered when it returns. */
  private deferred: [AsynchResult, number, number][] = [];
  private pool: RegisteredBufferPool | undefined;
  private readonly rings: BufferRing[] = [];
  /** Stops hearing of handles closed elsewhere (set while there are rings). */
  private unwatchCloses: (() => void) | undefined;
  /** Ring reads restarted since the last submit: prepared with their fd's number, not yet in the kernel. */
  private resumed: AsynchResult[] = [];
  private readonly zeroCopyThreshold_: number;

  constructor(
    readonly name: string,
    private readonly options: ProactorOptions,
    requiredVerbs: readonly NativeVerb[],
  ) {
    super();
    const binding = loadNative();
    this.completions = new Int32Array(4 * (options.completionBatch ?? 1024));
    try {
      this.native = new binding.Proactor(
        name,
        {
          sqEntries: options.sqEntries,
          cqEntries: options.cqEntries,
          sqpoll: options.sqpoll,
          deferTaskrun: options.deferTaskrun ?? true,
          fixedFiles: options.fixedFiles ?? 0,
          legacyCancel: options.legacyCancel ?? false,
        },
        this.completions,
        this.onReady,
        this.operands,
      );
      packHotCalls(this.native, this.operands);
    } catch (e) {
      const err = e as Error & { errno?: number; syscall?: string };
      throw new ProactorError('backend-unavailable', err.message, err.errno, err.syscall);
    }
    // Asked on every write: settled once here.
    const threshold = options.zeroCopySendThreshold ?? 0;
    this.zeroCopyThreshold_ = threshold > 0 && this.native.supports('sendZc') ? threshold : 0;
    const missing = requiredVerbs.filter((verb) => !this.native.supports(verb));
    if (missing.length > 0) {
      this.native.destroy();
      throw new ProactorError('backend-unavailable', `${name}: this kernel lacks ${missing.join(', ')}`);
    }
  }

  describe(): string {
    return this.native.describe();
  }

  supports(verb: string): boolean {
    try {
      return this.native.supports(verb as NativeVerb);
    } catch {
      return false;
    }
  }

  inflight(): number {
    let n = this.table.size;
    // A read waiting for a ring buffer is out of the kernel, not done.
    for (const ring of this.rings) n += ring.waiting();
    return n;
  }

  bufferPool(): RegisteredBufferPool {
    if (this.pool === undefined) {
      if (this.closed) throw new ProactorError('closed', 'bufferPool(): the proactor is closed');
      const native = this.native;
      this.pool = new RegisteredBufferPool(
        { registerBuffers: (buffers) => native.registerBuffers(buffers), registrationToken: native },
        this.options.bufferPool,
      );
    }
    return this.pool;
  }

  createBufferRing(options?: BufferRingOptions): BufferRing {
    if (this.closed || this.closing) throw new ProactorError('closed', 'createBufferRing(): the proactor is closed');
    if (!this.supports('recvMultishot')) {
      throw new ProactorError('unsupported', `createBufferRing(): ${noBufferRings(this.name)}`);
    }
    const native = this.native;
    const ring = new BufferRing(
      {
        registerBufferRing: (group, buffer, count, size) => native.registerBufferRing(group, buffer, count, size),
        provideBuffer: (group, id) => (this.closed ? 0 : native.provideBuffer(group, id)),
        restart: (waiter) => this.restartWaiter(waiter as unknown as AsynchResult),
        isClosed: () => this.closed,
      },
      this.rings.length,
      options,
    );
    this.rings.push(ring);
    // A read waiting for a buffer is in no backend, which hears of a
    // SockStream.close: this object must, to end the read.
    this.unwatchCloses ??= watchHandleCloses(this);
    return ring;
  }

  override ownsRing(ring: BufferRing): boolean {
    return this.rings.includes(ring);
  }

  zeroCopyThreshold(): number {
    return this.zeroCopyThreshold_;
  }

  /** Registered-file slots in use (fixedFiles). */
  fixedFilesInUse(): number {
    return this.closed ? 0 : this.native.fixedFilesInUse();
  }

  isClosed(): boolean {
    return this.closed;
  }

  start(result: AsynchResult): void {
    if (this.closed) throw new ProactorError('closed', `cannot start ${result.constructor.name}: the proactor is closed`);
    if (!this.held) this.hold(true);
    this.table.add(result);
    if (this.closing && !(result instanceof AsynchCloseResult)) {
      // A handler dispatched by close() started it: it is cancelled before
      // it began, and close() dispatches it with the others.
      this.stillborn.push(result);
      return;
    }
    let rc: number;
    try {
      rc = result.prepare(this.native);
    } catch (e) {
      this.table.take(result.slot, result.gen);
      throw new ProactorError('invalid-argument', (e as Error).message);
    }
    if (rc < 0) {
      this.table.take(result.slot, result.gen);
      if (rc === -Errno.EOPNOTSUPP) {
        // The operations check supports() before they start; this is for
        // one that did not. A later phase started from inside a handler
        // catches it and completes with EOPNOTSUPP.
        const what = result.constructor.name.replace(/Result$/, '');
        throw new ProactorError('unsupported', `the ${this.name} backend cannot run ${what} (prepare: ${errnoName(-rc)})`, -rc, `${this.name} prepare`);
      }
      throw ProactorError.fromErrno(rc, `${this.name} prepare ${result.constructor.name}`);
    }
    this.queueFlush();
  }

  cancel(result: AsynchResult): void {
    if (result.slot < 0 || this.closed || this.stillborn.includes(result)) return;
    result.cancelRequested();
    this.native.cancel(result.slot, result.gen);
    this.queueFlush();
  }

  cancelOwnedBy(owner: AsynchOperation): CancelCount {
    // Waiters restart as cancellations: look at the table before they do.
    const inflight = this.table.snapshot();
    let requested = this.cancelWaiters((w) => w.owner === owner);
    let uncancellable = 0;
    for (const result of inflight) {
      if (result.owner !== owner) continue;
      // A zero-copy send that has sent waits only for the kernel to let go.
      if (result.awaitsNotification()) {
        uncancellable++;
        continue;
      }
      this.cancel(result);
      requested++;
    }
    return { requested, uncancellable };
  }

  closeHandle(handle: Handle, done: (error: number) => void): void {
    // Reads parked on it for a ring buffer hear of it there (handleClosing).
    noteHandleClosing(handle);
    this.start(new AsynchCloseResult(handle, (r) => done(r.error)));
  }

  /**
   * @internal A handle is being closed through the framework
   * (HandleCloseWatcher), before its close system call: reads waiting on it
   * for a buffer end with ECANCELED, and a read restarted since the last
   * submission goes to the kernel now, with its cancel, while the number
   * still names this socket and not the next one given it.
   */
  handleClosing(handle: Handle): void {
    if (this.closing || this.closed) return;
    this.cancelWaiters((w) => w.handle === handle);
    let cancelled = false;
    for (const result of this.resumed) {
      if ((result as unknown as BufferWaiter).handle !== handle || result.slot < 0) continue;
      this.cancel(result);
      cancelled = true;
    }
    if (cancelled) this.submit();
  }

  /** A read that waited for a ring buffer starts again here (the ring's proactor), as a read or as its cancellation. */
  private restartWaiter(result: AsynchResult): void {
    try {
      this.start(result);
    } catch (e) {
      this.report(e, result);
      return;
    }
    if (!this.closing) this.resumed.push(result);
  }

  /** Multishot reads waiting for a ring buffer are in flight too: cancel them. */
  private cancelWaiters(match: (w: BufferWaiter) => boolean): number {
    let n = 0;
    for (const ring of this.rings) {
      for (const waiter of ring.takeWaiters(match)) {
        waiter.cancelWaiting();
        n++;
      }
    }
    return n;
  }

  handleEvents(timeoutMs: number): number {
    if (this.dispatching) {
      throw new ProactorError('reentrant', 'handleEvents() was called from inside a completion handler');
    }
    if (this.closed) throw new ProactorError('closed', 'handleEvents() on a closed proactor');
    // Another loop watches the handle: it must stop polling readable once
    // what it announced is taken, as libuv's watch re-arms it before a drain.
    if (this.handleWatched) this.native.clearNotify();
    const ready = this.native.wait(timeoutMs);
    if (ready < 0) {
      if (ready === -Errno.EINTR) return 0;
      this.report(ProactorError.fromErrno(ready, `${this.name} wait`), undefined);
      return -1;
    }
    const dispatched = ready === 0 ? 0 : this.drain();
    this.releaseIfIdle();
    return dispatched > 0 ? 1 : 0;
  }

  watch(on: boolean): void {
    if (this.closed) return;
    this.watching = on;
    if (on) {
      if (!this.held) this.hold(true);
      this.native.start();
      this.queueDrain();
    } else {
      this.native.stop();
      this.releaseIfIdle();
    }
  }

  notifyHandle(): number {
    if (this.closed) throw new ProactorError('closed', 'getHandle() on a closed proactor');
    this.handleWatched = true;
    return this.native.notifyFd();
  }

  whenReady(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.readyWaiter = resolve;
      if (!this.held) this.hold(true);
      this.native.start();
    });
  }

  wakeup(): void {
    if (this.closed || this.closing) return;
    if (this.readyWaiter) this.settleReadyWaiter();
    else this.native.nop(-1 >>> 0, 0);
  }

  private settleReadyWaiter(): void {
    const resolve = this.readyWaiter;
    if (!resolve) return;
    this.readyWaiter = undefined;
    if (!this.watching && !this.closed) this.native.stop();
    this.releaseIfIdle();
    resolve();
  }

  /**
   * Cancels everything in flight and dispatches every completion, each
   * exactly once, before it returns; nothing is dispatched after. Called
   * from inside a handler, it first finishes the batch that handler is in.
   */
  close(): void {
    if (this.closed || this.closing) return;
    this.closing = true;
    const outer = this.dispatching;
    this.dispatching = true;
    try {
      for (const result of this.table.snapshot()) {
        if (result.awaitsNotification()) this.settleEarly(result);
        else if (!this.stillborn.includes(result)) this.native.cancel(result.slot, result.gen);
      }
      this.submit();
      this.dispatchRest();
      let warnAt = Date.now() + CLOSE_WARN_MS;
      for (;;) {
        // Reads parked for a ring buffer (a handler may park one at any
        // point) restart as cancellations: stillborn, dispatched here.
        this.cancelWaiters(() => true);
        this.dispatchStillborn();
        const n = this.native.reap();
        if (n > 0) {
          this.dispatchBatch(n);
          this.submit();
          continue;
        }
        if (this.stillborn.length > 0) continue;
        if (this.table.size <= this.lingering()) break;
        this.native.wait(100);
        if (Date.now() >= warnAt) {
          process.stderr.write(`ace-proactor: close() waits for ${this.table.size - this.lingering()} operations the kernel has not given back\n`);
          warnAt += CLOSE_WARN_MS;
        }
      }
    } finally {
      this.dispatching = outer;
    }
    this.closed = true;
    this.watching = false;
    this.unwatchCloses?.();
    this.settleReadyWaiter();
    if (this.table.size > 0) {
      // Zero-copy sends whose handlers have been told: their blocks stay
      // referenced until the kernel's notifications, reaped by a watch
      // that does not keep the process alive; then the ring goes.
      debug(`${this.name}: closed; ${this.table.size} zero-copy sends keep the ring until the kernel lets go of their blocks`);
      this.native.start(true);
      return;
    }
    this.destroyNative();
  }

  private destroyNative(): void {
    this.native.stop();
    this.native.destroy();
    this.held = false;
  }

  /** Zero-copy sends dispatched by close() that wait only for the kernel's notification. */
  private lingering(): number {
    let n = 0;
    if (this.table.size === 0) return 0;
    for (const result of this.table.snapshot()) if (result.settled()) n++;
    return n;
  }

  /** A zero-copy send's handler hears at close() what was sent; its block stays held until the notification. */
  private settleEarly(result: AsynchResult): void {
    result.inHandler = true;
    try {
      result.settleEarly();
    } catch (e) {
      this.report(e, result);
    } finally {
      result.inHandler = false;
    }
  }

  private dispatchStillborn(): void {
    while (this.stillborn.length > 0) {
      const result = this.stillborn.shift()!;
      if (this.table.take(result.slot, result.gen) === undefined) continue;
      if (result.inHandler) this.deferred.push([result, -Errno.ECANCELED, 0]);
      else this.complete(result, -Errno.ECANCELED, 0);
    }
  }

  /** libuv saw the notification fd readable (post-reactive, or the call-through loop's idle wait). */
  private readonly onReady = (status: number): void => {
    if (this.closed) return this.reapAfterClose();
    if (status < 0) this.report(ProactorError.fromErrno(status, `${this.name} poll`), undefined);
    if (this.readyWaiter) return this.settleReadyWaiter();
    if (!this.watching) return;
    this.drain();
    this.releaseIfIdle();
  };

  /** After close(): the notifications of zero-copy sends, whose handlers have heard already. */
  private reapAfterClose(): void {
    for (let n = this.native.reap(); n > 0; n = this.native.reap()) {
      const cq = this.completions;
      for (let i = 0; i < n; i++) {
        const q = i << 2;
        if (cq[q + 3] & CompletionFlag.MORE) continue;
        const result = this.table.take(cq[q], cq[q + 1]);
        try {
          result?.complete(cq[q + 2], cq[q + 3]);
        } catch (e) {
          this.report(e, result);
        }
      }
    }
    if (this.table.size === 0) this.destroyNative();
  }

  /** Reaps and dispatches until the kernel has nothing more, then submits. */
  private drain(): number {
    if (this.dispatching || this.closed) return 0;
    this.dispatching = true;
    let total = 0;
    try {
      for (let batch = 1; ; batch++) {
        const n = this.native.reap();
        if (n <= 0) break;
        this.dispatchBatch(n);
        total += n;
        // A handler may have closed the proactor.
        if (this.closed) break;
        this.submit();
        if (batch === MAX_BATCHES_PER_WAKE) {
          // Let the rest of Node run; come back for what is left.
          this.queueDrain();
          break;
        }
      }
    } finally {
      this.dispatching = false;
    }
    return total;
  }

  private dispatchBatch(n: number): void {
    this.batchPos = 0;
    this.batchEnd = n;
    this.dispatchRest();
  }

  /** Dispatches what is left of the current batch (close() may finish it from inside a handler). */
  private dispatchRest(): void {
    const cq = this.completions;
    while (this.batchPos < this.batchEnd) {
      const q = this.batchPos++ << 2;
      // A multishot operation keeps its slot until its last completion.
      const result = cq[q + 3] & CompletionFlag.MORE ? this.table.peek(cq[q], cq[q + 1]) : this.table.take(cq[q], cq[q + 1]);
      if (result === undefined) {
        if (cq[q] !== -1) debug(`${this.name}: completion for unknown slot ${cq[q]}/${cq[q + 1]} (res ${cq[q + 2]})`);
        continue;
      }
      if (result.inHandler) {
        // close() from inside this result's own handler (a multishot
        // operation's next completion): the handler hears it once it returns.
        this.deferred.push([result, cq[q + 2], cq[q + 3]]);
        continue;
      }
      this.complete(result, cq[q + 2], cq[q + 3]);
    }
  }

  /** Calls result's handler with one completion, then anything deferred for it meanwhile. */
  private complete(result: AsynchResult, res: number, flags: number): void {
    result.inHandler = true;
    try {
      result.complete(res, flags);
      if (this.closing && result.awaitsNotification()) result.settleEarly();
    } catch (e) {
      this.report(e, result);
    } finally {
      result.inHandler = false;
    }
    if (this.deferred.length > 0) {
      const i = this.deferred.findIndex(([r]) => r === result);
      if (i >= 0) {
        const [, dres, dflags] = this.deferred.splice(i, 1)[0];
        return this.complete(result, dres, dflags);
      }
    }
    // Done with, unless it went back in flight or more completions follow.
    if (result.slot < 0 && !result.more && !this.closed) result.owner?.recycle(result);
  }

  /** Lets the native side drop its strong hold when nothing needs this object to stay. */
  private releaseIfIdle(): void {
    if (this.held && !this.watching && !this.readyWaiter && this.table.size === 0 && !this.closed) this.hold(false);
  }

  private hold(strong: boolean): void {
    this.held = strong;
    this.native.hold(strong);
  }

  private submit(): void {
    if (this.resumed.length > 0) this.resumed = [];
    const rc = this.native.submit();
    if (rc >= 0) return;
    // The kernel took part (short of memory or CQ room): the rest waits in
    // the ring; try again shortly, whether or not a completion comes.
    if (rc === -Errno.EAGAIN || rc === -Errno.EBUSY) this.queueRetry();
    else this.report(ProactorError.fromErrno(rc, `${this.name} submit`), undefined);
  }

  private queueRetry(): void {
    if (this.retryQueued || this.closing) return;
    this.retryQueued = true;
    setTimeout(() => {
      this.retryQueued = false;
      if (!this.closed && !this.dispatching) this.submit();
    }, SUBMIT_RETRY_MS);
  }

  /** Submissions made outside a dispatch go in once per tick. */
  private queueFlush(): void {
    if (this.dispatching || this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      if (!this.closed) this.submit();
    });
  }

  private queueDrain(): void {
    if (this.drainQueued) return;
    this.drainQueued = true;
    setImmediate(() => {
      this.drainQueued = false;
      this.drain();
      this.releaseIfIdle();
    });
  }

  /** @internal Test hook: the next count submissions fail with -errno before reaching the kernel. */
  failNextSubmits(count: number, errno: number): void {
    this.native.failNextSubmits(count, -errno);
  }
}
