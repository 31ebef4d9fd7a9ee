import { errnoName } from './errno';

/** What went wrong, for callers that branch on it. */
export type ProactorErrorKind =
  | 'invalid-argument'
  | 'closed'
  | 'unsupported'
  | 'reentrant'
  | 'backend-unavailable'
  | 'native-load'
  | 'system';

/**
 * The one error class of the framework. Thrown only for misuse at initiation
 * and for set-up failures; a failed asynchronous operation is reported in its
 * AsynchResult instead.
 *
 * @example
 * try { stream.read(mb, 0); } catch (e) { if (ProactorError.is(e, 'invalid-argument')) … }
 */
export class ProactorError extends Error {
  /** Always 'ProactorError'. */
  override readonly name = 'ProactorError';

  constructor(
    /** What went wrong, as a stable word to test against. */
    readonly kind: ProactorErrorKind,
    message: string,
    /** errno of a failed system call, when there was one */
    readonly errno?: number,
    /** the call that failed ("io_uring_setup") */
    readonly syscall?: string,
  ) {
    super(message);
  }

  /** The errno's name ('EPERM'), or '' when no system call failed. */
  get code(): string {
    return this.errno === undefined ? '' : errnoName(this.errno);
  }

  /** Builds a 'system' error from a failed call's -errno result. */
  static fromErrno(negErrno: number, syscall: string, kind: ProactorErrorKind = 'system'): ProactorError {
    const e = -negErrno;
    return new ProactorError(kind, `${syscall}: ${errnoName(e)}`, e, syscall);
  }

  /** Whether value is a ProactorError (of kind, when given). */
  static is(value: unknown, kind?: ProactorErrorKind): value is ProactorError {
    return value instanceof ProactorError && (kind === undefined || value.kind === kind);
  }
}
