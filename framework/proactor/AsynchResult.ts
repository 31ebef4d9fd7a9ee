import { errnoName } from '../common/errno';
import { CompletionFlag, type NativeProactor } from '../native/NativeBinding';
import { type AsynchOperation } from './AsynchOperation';
import { type Handler } from './Handler';

/**
 * ACE_Asynch_Result — POSA2 Asynchronous Completion Token carrier: what an
 * operation was asked to do, and, once the kernel finished it, how it went.
 * The `act` given at initiation comes back here unchanged.
 *
 * A result belongs to the in-flight table from initiation until its
 * completion is dispatched; it holds every buffer the kernel points at, so
 * nothing it reads or writes can be collected early.
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

  constructor(
    private readonly handler_: Handler | null,
    /** The Asynchronous Completion Token given at initiation. */
    readonly act: unknown,
    /** The key given to the operation's open(). */
    readonly completionKey: unknown,
    readonly priority: number,
    readonly signalNumber: number,
    /** @internal the operation that started this result (its cancel() finds it by this) */
    readonly owner: AsynchOperation | null,
  ) {}

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
    this.dispatch();
  }

  /** @internal Calls the handler's hook for this kind of operation. */
  protected abstract dispatch(): void;
}
