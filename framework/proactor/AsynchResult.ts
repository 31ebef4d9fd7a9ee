import { errnoName } from '../common/errno';
import { CompletionFlag, type NativeProactor } from '../native/NativeBinding';
import { type AsynchOperation } from './AsynchOperation';
import { type Handler } from './Handler';

/** T without its readonly marks: for re-initiating a recycled result. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * ACE_Asynch_Result — POSA2 Asynchronous Completion Token carrier: what an
 * operation was asked to do, and, once the kernel finished it, how it went.
 * The `act` given at initiation comes back here unchanged.
 *
 * A result belongs to the in-flight table from initiation until its
 * completion is dispatched; it holds every buffer the kernel points at, so
 * nothing it reads or writes can be collected early.
 *
 * A result is the handler's to read during its handler call. After that
 * the operation that started it may reuse it for its next initiation (as
 * ACE deletes it): keep what you need from it, not the result.
 */
export abstract class AsynchResult {
  /** Bytes moved (or, for accept, 0 and see acceptHandle). */
  bytesTransferred = 0;
  /** True when the operation did what it was asked (EOF is a success of 0 bytes). */
  success = false;
  /** errno when it failed, else 0. */
  error = 0;
  /**
   * More completions follow for this operation (a multishot accept or
   * read): the result object is reused for each, so read it in the handler
   * and keep what you need, not the result.
   */
  more = false;
  /** @internal in-flight table slot, -1 when not in flight */
  slot = -1;
  /** @internal the slot's generation when this result took it */
  gen = 0;
  /** @internal which open() of its operation this result was started under */
  openEpoch = 0;
  /** @internal its handler is running (a completion for it then waits until it returns) */
  inHandler = false;

  constructor(
    private handler_: Handler | null,
    /** The Asynchronous Completion Token given at initiation. */
    readonly act: unknown,
    /** The key given to the operation's open(). */
    readonly completionKey: unknown,
    readonly priority: number,
    readonly signalNumber: number,
    /** @internal the operation that started this result (its cancel() finds it by this) */
    readonly owner: AsynchOperation | null,
  ) {}

  /**
   * @internal Makes this finished result a new operation's: the operation
   * that started it reuses it (see AsynchOperation.recycle), so a steady
   * stream of reads or writes allocates nothing per completion.
   */
  protected reinitiate(handler: Handler | null, act: unknown, completionKey: unknown, priority: number, signalNumber: number): void {
    const self = this as Mutable<AsynchResult>;
    this.handler_ = handler;
    self.act = act;
    self.completionKey = completionKey;
    self.priority = priority;
    self.signalNumber = signalNumber;
    this.bytesTransferred = 0;
    this.success = false;
    this.error = 0;
    this.more = false;
  }

  /** @internal A zero-copy send that has sent and waits only for the kernel's notification. */
  awaitsNotification(): boolean {
    return false;
  }

  /** @internal Dispatched by close() before its notification, which is then absorbed. */
  settled(): boolean {
    return false;
  }

  /** @internal close() dispatches what was sent now; the block stays held until the notification. */
  settleEarly(): void {}

  /** @internal The proactor is about to ask the kernel to cancel this result (a multi-phase operation then starts no further phase). */
  cancelRequested(): void {}

  /** @internal Whether the operation that started this result may reuse it once dispatched (see also settle). */
  reusable(): boolean {
    return false;
  }

  /** The handler the completion goes to. */
  handler(): Handler | null {
    return this.handler_;
  }

  /** The errno's name ('ECONNRESET'), or '' on success. */
  get errorCode(): string {
    return this.error === 0 ? '' : errnoName(this.error);
  }

  /** @internal Hands the operation to the native backend; returns 0 or -errno. */
  abstract prepare(native: NativeProactor): number;

  /**
   * @internal Records the kernel's result (bytes, or -errno) and calls the
   * handler's hook, as ACE's complete() does.
   */
  complete(res: number, flags: number): void {
    this.more = (flags & CompletionFlag.MORE) !== 0;
    if (res < 0) {
      this.success = false;
      this.error = -res;
      this.bytesTransferred = 0;
    } else {
      this.success = true;
      this.error = 0;
      this.bytesTransferred = res;
    }
    if (this.settle) this.settle(this);
    else this.dispatch();
  }

  /**
   * @internal Set by an operation's Promise form: the completion settles a
   * Promise instead of calling the handler, and the result is never reused
   * (the caller keeps it).
   */
  settle: ((result: AsynchResult) => void) | undefined = undefined;

  /** @internal Calls the handler's hook for this kind of operation. */
  protected abstract dispatch(): void;
}
