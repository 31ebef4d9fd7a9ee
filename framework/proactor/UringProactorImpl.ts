import { inject, injectable } from 'inversify';
import { Errno } from '../common/errno';
import { ProactorError } from '../common/ProactorError';
import { type NativeVerb } from '../native/NativeBinding';
import { NativeProactorImpl } from './NativeProactorImpl';
import { type ProactorOptions } from './ProactorOptions';
import { PROACTOR_OPTIONS } from './tokens';

/** The verbs the framework needs from io_uring; a kernel without them cannot run the backend. */
const REQUIRED: readonly NativeVerb[] = ['nop', 'read', 'write', 'readv', 'writev', 'accept', 'connect', 'close', 'timeout', 'cancel'];

/** What to do when the kernel refuses io_uring_setup, by errno. */
const ADVICE: Record<number, string> = {
  [Errno.EPERM]:
    'io_uring is refused here: a seccomp profile (Docker\'s default refuses it; run with --security-opt seccomp=unconfined or a profile that allows io_uring_setup/enter/register) or the sysctl kernel.io_uring_disabled (set it to 0)',
  [Errno.ENOSYS]: 'this kernel has no io_uring: Linux 5.11 or later is needed',
};

/**
 * ACE_Proactor_Impl over Linux io_uring — the kernel is the Asynchronous
 * Operation Processor, the CQ the Completion Event Queue. Set-up fails,
 * saying why and what to do, where io_uring is refused or too old.
 */
@injectable()
export class UringProactorImpl extends NativeProactorImpl {
  constructor(@inject(PROACTOR_OPTIONS) options: ProactorOptions) {
    try {
      super('uring', options, REQUIRED);
    } catch (e) {
      if (!ProactorError.is(e) || e.syscall !== 'io_uring_setup' || e.errno === undefined) throw e;
      const advice = ADVICE[e.errno];
      if (advice === undefined) throw e;
      throw new ProactorError(e.kind, `${e.message} — ${advice}`, e.errno, e.syscall);
    }
  }

  /**
   * IORING_OP_READ and WRITE on a socket look up the file's flags and send
   * file-access notifications at each completion; RECV and SEND do neither
   * (0.75–0.82× against 0.95–0.97× the C server's messages at 64 B × 1000
   * connections: docs/design.md §12).
   */
  override socketVerbs(): boolean {
    this.socketVerbs_ ??= this.supports('recv') && this.supports('send');
    return this.socketVerbs_;
  }

  private socketVerbs_: boolean | undefined;
}
