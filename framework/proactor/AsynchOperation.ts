import { INVALID_HANDLE, type Handle } from '../common/Handle';
import { ProactorError } from '../common/ProactorError';
import { Errno } from '../common/errno';
import { loadNative } from '../native/loadNative';
import { type AsynchResult } from './AsynchResult';
import { type Handler } from './Handler';
import { Proactor } from './Proactor';

/**
 * ACE_Asynch_Operation — POSA2 Asynchronous Operation: the base of the
 * Asynch_Stream factory classes. open() binds a handler, a handle and a
 * proactor; each initiation starts one operation whose result comes back
 * to the handler. Misuse at initiation throws; failures of the operation
 * itself arrive in its result.
 */
export abstract class AsynchOperation {
  /** The handler completions go to (ACE's handler_proxy_); set by open(). */
  protected handler_: Handler | undefined;
  /** The handle operations run on; set by open(). */
  protected handle_: Handle = INVALID_HANDLE;
  /** ACE's completion key, passed to open() and carried by every result. */
  protected completionKey_: unknown;
  private proactor_: Proactor | undefined;
  /** A dispatched result kept for the next initiation. */
  private spare: AsynchResult | null = null;
  /** Counts open() calls; a result remembers the one it was started under. */
  private epoch = 0;

  /**
   * Binds this operation to handler and handle (default: handler.handle()),
   * on proactor (default: handler.proactor(), else Proactor.instance()).
   */
  open(handler: Handler, handle: Handle = INVALID_HANDLE, completionKey?: unknown, proactor?: Proactor): void {
    if (!handler) throw new ProactorError('invalid-argument', `${this.constructor.name}.open: a handler is required`);
    this.handler_ = handler;
    this.handle_ = handle === INVALID_HANDLE ? handler.handle() : handle;
    // A kept result names the old handle and handler.
    this.spare = null;
    this.epoch++;
    this.completionKey_ = completionKey;
    this.proactor_ = proactor ?? handler.proactor() ?? Proactor.instance();
    if (handler.proactor() === undefined) handler.proactor(this.proactor_);
    this.socketVerbs = this.streamOperation && this.socketVerbsFor();
  }

  /** A stream operation: open() asks whether its reads and writes go out as recv and send. */
  protected readonly streamOperation: boolean = false;

  /** Reads and writes go out as recv and send (socketVerbsFor); set at open(), for streams. */
  protected socketVerbs = false;

  /**
   * Whether this operation's stream reads and writes should use recv and
   * send: its handle is a socket and its proactor's backend prefers them
   * there (ProactorImpl.socketVerbs).
   */
  private socketVerbsFor(): boolean {
    if (this.handle_ === INVALID_HANDLE || !this.proactor_!.implementation().socketVerbs()) return false;
    const { socket } = loadNative();
    return socket.getOption(this.handle_, socket.constants.SOL_SOCKET, socket.constants.SO_TYPE) > 0;
  }

  /**
   * Asks the kernel to cancel every operation this object started. Each
   * still completes, with ECANCELED if the cancel won the race. Returns
   * ACE's codes: 0 every operation in flight was asked to cancel, 1 none
   * was in flight (all had completed), 2 some cannot be cancelled any more
   * (a zero-copy send waiting for the kernel to let go of its block), -1
   * the operation is not open.
   */
  cancel(): number {
    if (!this.proactor_) return -1;
    const { requested, uncancellable } = this.proactor_.implementation().cancelOwnedBy(this);
    if (uncancellable > 0) return 2;
    return requested > 0 ? 0 : 1;
  }

  /** The proactor this operation dispatches through. */
  proactor(): Proactor {
    if (!this.proactor_) throw new ProactorError('invalid-argument', `${this.constructor.name} is not open`);
    return this.proactor_;
  }

  /** The handle given to open(). */
  handle(): Handle {
    return this.handle_;
  }

  /**
   * @internal The proactor hands back a result whose handler has returned;
   * the next initiation reuses it instead of allocating.
   */
  recycle(result: AsynchResult): void {
    // A result started before the latest open() belongs to the old binding.
    if (this.spare === null && result.settle === undefined && result.reusable() && result.openEpoch === this.epoch) this.spare = result;
  }

  /** The result kept by recycle(), if it is of kind; the caller re-initiates it. */
  protected takeSpare<R extends AsynchResult>(kind: abstract new (...args: never[]) => R): R | null {
    const spare = this.spare;
    if (spare === null || spare.constructor !== kind) return null;
    this.spare = null;
    return spare as R;
  }

  /** @internal Starts result again (a later phase of the same operation). */
  restart(result: AsynchResult): void {
    this.start(result);
  }

  /**
   * The Promise form of an initiation: starts result, whose completion
   * resolves the Promise with it (success or not) instead of calling the
   * handler. Aborting signal cancels the operation; if the cancel wins the
   * Promise rejects with an AbortError whose cause is the result.
   */
  protected startAsync<R extends AsynchResult>(result: R, signal?: AbortSignal): Promise<R> {
    if (signal?.aborted) return Promise.reject(abortError(signal, undefined));
    return new Promise<R>((resolve, reject) => {
      const onAbort = () => this.proactor_?.implementation().cancel(result);
      result.settle = (r) => {
        signal?.removeEventListener('abort', onAbort);
        if (signal?.aborted && r.error === Errno.ECANCELED) reject(abortError(signal, r));
        else resolve(r as R);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.start(result);
      } catch (e) {
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      }
    });
  }

  /** Puts result in flight on this operation's proactor. */
  protected start(result: AsynchResult): void {
    result.openEpoch = this.epoch;
    this.proactor().implementation().start(result);
  }

  /** The handler, or a clear error if open() was not called. */
  protected openHandler(): Handler {
    if (!this.handler_) throw new ProactorError('invalid-argument', `${this.constructor.name} is not open: call open(handler, handle) first`);
    return this.handler_;
  }

  /** Throws unless n is a whole number in 1..max. */
  protected checkCount(what: string, n: number, max: number, limitName: string): void {
    if (!Number.isInteger(n) || n <= 0 || n > max) {
      throw new ProactorError('invalid-argument', `${this.constructor.name}.${what}: ${n} bytes is not within 1..${max} (${limitName})`);
    }
  }
}

/** The DOMException an aborted Promise-form operation rejects with; the result (if any) is its cause. */
function abortError(signal: AbortSignal, result: AsynchResult | undefined): Error {
  const reason = signal.reason as unknown;
  const why = typeof reason === 'string' ? reason : reason instanceof Error ? reason.message : '';
  const e = new DOMException(why ? `The operation was aborted: ${why}` : 'The operation was aborted', 'AbortError');
  if (result) Object.defineProperty(e, 'cause', { value: result });
  return e;
}
