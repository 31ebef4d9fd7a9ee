import { inject, injectable } from 'inversify';
import { type NativeVerb } from '../native/NativeBinding';
import { NativeProactorImpl } from './NativeProactorImpl';
import { type ProactorOptions } from './ProactorOptions';
import { PROACTOR_OPTIONS } from './tokens';

/** The verbs the framework needs from io_uring; a kernel without them cannot run the backend. */
const REQUIRED: readonly NativeVerb[] = ['nop', 'read', 'write', 'readv', 'writev', 'accept', 'connect', 'close', 'timeout', 'cancel'];

/**
 * ACE_Proactor_Impl over Linux io_uring — the kernel is the Asynchronous
 * Operation Processor, the CQ the Completion Event Queue, and the only
 * backend so far. Set-up fails ('backend-unavailable') where io_uring is
 * refused or too old; there is no other backend to fall back to.
 */
@injectable()
export class UringProactorImpl extends NativeProactorImpl {
  constructor(@inject(PROACTOR_OPTIONS) options: ProactorOptions) {
    super('uring', options, REQUIRED);
  }
}
