import { type Handle } from '../common/Handle';
import { type AsynchOperation } from './AsynchOperation';
import { type AsynchResult } from './AsynchResult';
import { type BufferRing, type BufferRingOptions } from './BufferRing';
import { type RegisteredBufferPool } from './RegisteredBufferPool';

/** What AsynchOperation.cancel() found in flight. */
export interface CancelCount {
  /** Operations asked to cancel (each still completes: ECANCELED if the cancel won). */
  requested: number;
  /** Operations past cancelling (a zero-copy send waiting for its notification). */
  uncancellable: number;
}

/** Receives what a completion handler threw; dispatch goes on. */
export type HandlerErrorHook = (error: unknown, result: AsynchResult | undefined) => void;

/**
 * ACE_Proactor_Impl — the Bridge implementor behind Proactor: one subclass per
 * way the platform runs asynchronous operations. The Proactor's public
 * methods forward here; AsynchOperations start their results here.
 */
export abstract class ProactorImpl {
  /** The backend's name: 'uring', 'epoll' or 'aio'. */
  abstract readonly name: string;
  /** What was set up: sizes and features in use. */
  abstract describe(): string;
  /** Whether this backend can run the verb ('readv', 'accept', …) here. */
  abstract supports(verb: string): boolean;
  /** Operations in flight. */
  abstract inflight(): number;

  /** Puts result in flight; throws ProactorError if it cannot be started. */
  abstract start(result: AsynchResult): void;
  /** Asks the kernel to cancel result; it still completes (ECANCELED). */
  abstract cancel(result: AsynchResult): void;
  /** Cancels every result in flight that owner started; says how many were asked, and how many cannot be any more. */
  abstract cancelOwnedBy(owner: AsynchOperation): CancelCount;

  /** Call-through dispatch: 1 dispatched, 0 timed out, -1 error. */
  abstract handleEvents(timeoutMs: number): number;
  /**
   * Settles at the next sign that completions may be ready, with Node's
   * loop doing the waiting (so its timers and I/O go on meanwhile); the
   * call-through loop's idle wait.
   */
  abstract whenReady(): Promise<void>;
  /** The fd that polls readable while completions wait (ACE's get_handle). */
  abstract notifyHandle(): number;
  /** Makes a wait in handleEvents or whenReady end now (ACE posts a wakeup completion). */
  abstract wakeup(): void;
  /** Post-reactive dispatch: let Node's loop wake us for completions. */
  abstract watch(on: boolean): void;

  /**
   * Cancels everything, dispatches every completion (each exactly once,
   * the cancelled with ECANCELED) and releases the kernel side; nothing is
   * dispatched after it returns. Safe to call from inside a handler.
   */
  abstract close(): void;
  /** Whether close() was called. */
  abstract isClosed(): boolean;

  /** The registered buffer pool (made on first use); one of ordinary blocks where the backend has none. */
  abstract bufferPool(): RegisteredBufferPool;
  /** A new provided-buffer ring for multishot reads; throws 'unsupported' where the backend has none. */
  abstract createBufferRing(options?: BufferRingOptions): BufferRing;
  /** Whether ring was made by this backend's createBufferRing (a read may take buffers only from its own proactor's rings). */
  ownsRing(_ring: BufferRing): boolean {
    return false;
  }
  /** Writes at least this long go without a copy (SEND_ZC); 0: never. */
  abstract zeroCopyThreshold(): number;

  /**
   * Whether a stream on a socket should read and write with recv and send
   * rather than read and write: where the backend's read and write on a
   * socket cost more (io_uring's do file work a socket does not need).
   */
  socketVerbs(): boolean {
    return false;
  }

  /** Where handler exceptions go. */
  errorHook: HandlerErrorHook = (error, result) => {
    const where = result ? ` in ${result.constructor.name.replace(/Result$/, '')} handler` : '';
    const text = error instanceof Error && error.stack ? error.stack : String(error);
    process.stderr.write(`ace-proactor: uncaught exception${where}: ${text}\n`);
  };

  /** Hands error to the error hook; a hook that throws is reported on stderr, and the caller goes on. */
  report(error: unknown, result: AsynchResult | undefined): void {
    try {
      this.errorHook(error, result);
    } catch (hookError) {
      process.stderr.write(`ace-proactor: the error hook threw: ${hookError instanceof Error && hookError.stack ? hookError.stack : String(hookError)}\n`);
    }
  }

  /** The handle's close (after cancelling what is in flight on it) as an operation. */
  abstract closeHandle(handle: Handle, done: (error: number) => void): void;
}
