import { inject, injectable } from 'inversify';
import { type NativeVerb } from '../native/NativeBinding';
import { NativeProactorImpl } from './NativeProactorImpl';
import { type ProactorOptions } from './ProactorOptions';
import { PROACTOR_OPTIONS } from './tokens';

/** The verbs the framework needs; reads and writes are aio, the rest run on the backend's readiness helper. */
const REQUIRED: readonly NativeVerb[] = ['nop', 'read', 'write', 'readv', 'writev', 'accept', 'connect', 'close', 'timeout', 'cancel'];

/**
 * ACE_POSIX_CB_Proactor — glibc's POSIX aio is the Asynchronous Operation
 * Processor: aio_read/aio_write run on its worker threads and SIGEV_THREAD
 * announces each completion. accept, connect and datagrams are no aio
 * operations and run on an internal readiness helper (ACE's
 * Asynch_Pseudo_Task); a transmit-file's file bytes go through a native
 * bounce buffer, an aio_read of the file and an aio_write to the socket. Chosen
 * only by name (`backend: 'aio'`, PROACTOR_BACKEND=aio): every pending
 * socket read holds a worker thread, so it is no default for a server.
 */
@injectable()
export class AioProactorImpl extends NativeProactorImpl {
  constructor(@inject(PROACTOR_OPTIONS) options: ProactorOptions) {
    super('aio', options, REQUIRED);
  }
}
