import { type Handle } from '../common/Handle';
import { debug } from '../common/debug';
import { Errno } from '../common/errno';
import { ProactorError } from '../common/ProactorError';
import { CompletionFlag, type NativeProactor, type NativeVerb } from '../native/NativeBinding';
import { loadNative } from '../native/loadNative';
import { type AsynchOperation } from './AsynchOperation';
import { type AsynchResult } from './AsynchResult';
import { BufferRing, type BufferRingOptions, type BufferWaiter } from './BufferRing';
import { InflightTable } from './InflightTable';
import { ProactorImpl } from './ProactorImpl';
import { type ProactorOptions } from './ProactorOptions';
import { RegisteredBufferPool } from './RegisteredBufferPool';
import { AsynchCloseResult } from './results/AsynchCloseResult';

/** Batches dispatched in one wake before yielding to Node's loop. */
const MAX_BATCHES_PER_WAKE = 64;
/** How long close() waits for cancelled operations to come back. */
const CLOSE_DRAIN_MS = 5000;

/**
 * The machinery every kernel backend shares: the in-flight table, the
 * completion array the addon fills, batched submission, and both dispatch
 * strategies. A backend subclass only names itself and checks its verbs.
 */
export class NativeProactorImpl extends ProactorImpl {
  private readonly native: NativeProactor;
  private readonly completions: Int32Array;
  private readonly table = new InflightTable();
  private dispatching = false;
  private flushQueued = false;
  private drainQueued = false;
  private closing = false;
  private closed = false;
  private pool: RegisteredBufferPool | undefined;
  private readonly rings: BufferRing[] = [];
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
        },
        this.completions,
        this.onReady,
      );
    } catch (e) {
      const err = e as Error & { errno?: number; syscall?: string };
      throw new ProactorError('backend-unavailable', `${name}: ${err.message}`, err.errno, err.syscall);
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
    return this.table.size;
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
      throw new ProactorError('unsupported', `createBufferRing(): the ${this.name} backend has no multishot reads on this kernel`);
    }
    const native = this.native;
    const ring = new BufferRing(
      {
        registerBufferRing: (group, buffer, count, size) => native.registerBufferRing(group, buffer, count, size),
        provideBuffer: (group, id) => (this.closed ? 0 : native.provideBuffer(group, id)),
      },
      this.rings.length,
      options,
    );
    this.rings.push(ring);
    return ring;
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
    if (this.closing && !(result instanceof AsynchCloseResult)) {
      throw new ProactorError('closed', `cannot start ${result.constructor.name}: the proactor is closed`);
    }
    this.table.add(result);
    let rc: number;
    try {
      rc = result.prepare(this.native);
    } catch (e) {
      this.table.take(result.slot, result.gen);
      throw new ProactorError('invalid-argument', (e as Error).message);
    }
    if (rc < 0) {
      this.table.take(result.slot, result.gen);
      throw ProactorError.fromErrno(rc, `${this.name} prepare ${result.constructor.name}`, rc === -Errno.EOPNOTSUPP ? 'unsupported' : 'system');
    }
    this.queueFlush();
  }

  cancel(result: AsynchResult): void {
    if (result.slot < 0 || this.closed) return;
    this.native.cancel(result.slot, result.gen);
    this.queueFlush();
  }

  cancelOwnedBy(owner: AsynchOperation): number {
    // Waiters restart as cancellations: look at the table before they do.
    const inflight = this.table.snapshot();
    let n = this.cancelWaiters((w) => w.owner === owner);
    for (const result of inflight) {
      if (result.owner !== owner) continue;
      this.cancel(result);
      n++;
    }
    return n;
  }

  closeHandle(handle: Handle, done: (error: number) => void): void {
    this.cancelWaiters((w) => w.handle === handle);
    this.start(new AsynchCloseResult(handle, (r) => done(r.error)));
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
    const ready = this.native.wait(timeoutMs);
    if (ready < 0) {
      if (ready === -Errno.EINTR) return 0;
      this.errorHook(ProactorError.fromErrno(ready, `${this.name} wait`), undefined);
      return -1;
    }
    if (ready === 0) return 0;
    return this.drain() > 0 ? 1 : 0;
  }

  watch(on: boolean): void {
    if (this.closed) return;
    if (on) {
      this.native.start();
      this.queueDrain();
    } else {
      this.native.stop();
    }
  }

  close(): void {
    if (this.closed) return;
    this.cancelWaiters(() => true);
    this.closing = true;
    for (const result of this.table.snapshot()) this.native.cancel(result.slot, result.gen);
    const deadline = Date.now() + CLOSE_DRAIN_MS;
    while (this.table.size > 0 && Date.now() < deadline) {
      if (this.native.wait(50) > 0) this.drain();
    }
    if (this.table.size > 0) {
      debug(`${this.name}: closed with ${this.table.size} operations that never completed`);
    }
    this.native.stop();
    this.native.destroy();
    this.closed = true;
  }

  /** libuv saw the notification fd readable (post-reactive). */
  private readonly onReady = (status: number): void => {
    if (status < 0) this.errorHook(ProactorError.fromErrno(status, `${this.name} poll`), undefined);
    this.drain();
  };

  /** Reaps and dispatches until the kernel has nothing more, then submits. */
  private drain(): number {
    if (this.dispatching || this.closed) return 0;
    this.dispatching = true;
    let total = 0;
    try {
      for (let batch = 0; ; batch++) {
        const n = this.native.reap();
        if (n <= 0) break;
        this.dispatchBatch(n);
        total += n;
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
    const cq = this.completions;
    for (let i = 0; i < n; i++) {
      const q = i << 2;
      // A multishot operation keeps its slot until its last completion.
      const result = cq[q + 3] & CompletionFlag.MORE ? this.table.peek(cq[q], cq[q + 1]) : this.table.take(cq[q], cq[q + 1]);
      if (result === undefined) {
        debug(`${this.name}: completion for unknown slot ${cq[q]}/${cq[q + 1]} (res ${cq[q + 2]})`);
        continue;
      }
      try {
        result.complete(cq[q + 2], cq[q + 3]);
      } catch (e) {
        this.errorHook(e, result);
      }
      // Done with, unless it went back in flight or more completions follow.
      if (result.slot < 0 && !result.more) result.owner?.recycle(result);
    }
  }

  private submit(): void {
    const rc = this.native.submit();
    if (rc < 0) this.errorHook(ProactorError.fromErrno(rc, `${this.name} submit`), undefined);
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
    });
  }
}
