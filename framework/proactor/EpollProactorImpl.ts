import { inject, injectable } from 'inversify';
import { type NativeVerb } from '../native/NativeBinding';
import { NativeProactorImpl } from './NativeProactorImpl';
import { type ProactorOptions } from './ProactorOptions';
import { PROACTOR_OPTIONS } from './tokens';

/** The verbs the framework needs; epoll emulates every one of them. */
const REQUIRED: readonly NativeVerb[] = ['nop', 'read', 'write', 'readv', 'writev', 'accept', 'connect', 'close', 'timeout', 'cancel'];

/**
 * ACE_Proactor_Impl over a readiness engine (Asio's Linux design) — epoll
 * is the demultiplexer, and the proactor performs each non-blocking system
 * call itself once the fd is ready, so the kernel runs the I/O and this
 * thread decides when. The fallback where io_uring is refused. It has no
 * registered buffers, buffer rings, multishot reads or zero-copy sends:
 * `supports()` says so and the framework does without.
 */
@injectable()
export class EpollProactorImpl extends NativeProactorImpl {
  constructor(@inject(PROACTOR_OPTIONS) options: ProactorOptions) {
    super('epoll', options, REQUIRED);
  }
}
