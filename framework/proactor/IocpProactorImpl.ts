import { inject, injectable } from 'inversify';
import { type NativeVerb } from '../native/NativeBinding';
import { NativeProactorImpl } from './NativeProactorImpl';
import { type ProactorOptions } from './ProactorOptions';
import { PROACTOR_OPTIONS } from './tokens';

/** The verbs the framework needs; the completion port runs every one of them. */
const REQUIRED: readonly NativeVerb[] = ['nop', 'read', 'write', 'readv', 'writev', 'accept', 'connect', 'close', 'timeout', 'cancel'];

/**
 * ACE_WIN32_Proactor — the Proactor implementation over a Windows I/O
 * completion port: overlapped WSARecv/WSASend, WSARecvMsg/WSASendMsg,
 * AcceptEx, ConnectEx, TransmitFile and ReadFile/WriteFile are the
 * asynchronous operations, the port is the
 * Completion Event Queue, GetQueuedCompletionStatusEx the demultiplexer.
 * Post-reactive dispatch runs a waiter thread that dequeues in batches and
 * wakes this thread once per batch. It has no registered buffers, buffer
 * rings, multishot operations or zero-copy sends: `supports()` says so and
 * the framework does without.
 */
@injectable()
export class IocpProactorImpl extends NativeProactorImpl {
  constructor(@inject(PROACTOR_OPTIONS) options: ProactorOptions) {
    super('iocp', options, REQUIRED);
  }
}
