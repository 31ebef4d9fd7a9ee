/** ace-proactor: the ACE Proactor framework for Node.js. */
export { INVALID_HANDLE, type Handle } from './common/Handle';
export { InetAddr } from './common/InetAddr';
export {
  canReleaseMemory,
  releaseMemory,
  SpikeMemoryRelease,
  type MemoryReleaseReport,
  type SpikeMemoryReleaseOptions,
} from './common/MemoryRelease';
export { MessageBlock, type MessageBlockOwner } from './common/MessageBlock';
export { ProactorError, type ProactorErrorKind } from './common/ProactorError';
export { SockAcceptor, type SockAcceptorOptions } from './common/SockAcceptor';
export { SockConnector } from './common/SockConnector';
export { SockDgram, type SockDgramOptions } from './common/SockDgram';
export { SockStream } from './common/SockStream';
export { Errno, errnoName } from './common/errno';
export { AsynchAccept } from './proactor/AsynchAccept';
export { AsynchAcceptor, type AsynchAcceptorOptions } from './proactor/AsynchAcceptor';
export { AsynchConnect } from './proactor/AsynchConnect';
export { AsynchConnector, type AsynchConnectorOptions } from './proactor/AsynchConnector';
export { AsynchOperation } from './proactor/AsynchOperation';
export { AsynchReadFile } from './proactor/AsynchReadFile';
export { AsynchReadStream } from './proactor/AsynchReadStream';
export { AsynchResult } from './proactor/AsynchResult';
export { AsynchTransmitFile, HeaderAndTrailer } from './proactor/AsynchTransmitFile';
export { AsynchWriteFile } from './proactor/AsynchWriteFile';
export { AsynchWriteStream } from './proactor/AsynchWriteStream';
export { AsynchReadDgram, type RecvDgramOptions } from './proactor/AsynchReadDgram';
export { AsynchWriteDgram, type SendDgramOptions } from './proactor/AsynchWriteDgram';
export { AsynchReadDgramResult } from './proactor/results/AsynchReadDgramResult';
export { AsynchWriteDgramResult } from './proactor/results/AsynchWriteDgramResult';
export { BufferRing, type BufferRingOptions, type BufferProvider, type BufferWaiter } from './proactor/BufferRing';
export { Handler } from './proactor/Handler';
export { NativeProactorImpl } from './proactor/NativeProactorImpl';
export { Proactor, type RunOptions } from './proactor/Proactor';
export { ProactorFactory } from './proactor/ProactorFactory';
export { ProactorImpl, type CancelCount, type HandlerErrorHook } from './proactor/ProactorImpl';
export { RegisteredBufferPool, type BufferPoolOptions, type BufferRegistrar } from './proactor/RegisteredBufferPool';
export { type DispatchStrategy, type ProactorOptions } from './proactor/ProactorOptions';
export { ServiceHandler } from './proactor/ServiceHandler';
export { UringProactorImpl } from './proactor/UringProactorImpl';
export { EpollProactorImpl } from './proactor/EpollProactorImpl';
export { AioProactorImpl } from './proactor/AioProactorImpl';
export { IocpProactorImpl } from './proactor/IocpProactorImpl';
export { AsynchAcceptResult } from './proactor/results/AsynchAcceptResult';
export { AsynchConnectResult } from './proactor/results/AsynchConnectResult';
export { AsynchReadMultishotResult } from './proactor/results/AsynchReadMultishotResult';
export { AsynchReadFileResult } from './proactor/results/AsynchReadFileResult';
export { AsynchReadStreamResult } from './proactor/results/AsynchReadStreamResult';
export { AsynchTimerResult } from './proactor/results/AsynchTimerResult';
export { AsynchTransmitFileResult } from './proactor/results/AsynchTransmitFileResult';
export { AsynchWriteFileResult } from './proactor/results/AsynchWriteFileResult';
export { AsynchWriteStreamResult } from './proactor/results/AsynchWriteStreamResult';
export { PROACTOR_IMPL, PROACTOR_OPTIONS } from './proactor/tokens';
export { CompletionFlag, type NativeVerb } from './native/NativeBinding';
export {
  ProactorPool,
  type ProactorPoolOptions,
  type PoolCommonOptions,
  type PoolServiceOptions,
  type PoolThreadModuleOptions,
  type PoolThreadContext,
  type PoolThreadService,
  type PoolThreadOpener,
  type PoolThreadCounts,
  type PoolThreadSummary,
  type PoolThreadInfo,
  type PoolAcceptStrategy,
} from './proactor/ProactorPool';
export { Acceptor, type AcceptorOptions } from './reactor/Acceptor';
export { EpollReactorImpl } from './reactor/EpollReactorImpl';
export { WsaPollReactorImpl } from './reactor/WsaPollReactorImpl';
export { EventHandler } from './reactor/EventHandler';
export { NativeReactorImpl } from './reactor/NativeReactorImpl';
export { NonBlockingAccept, type AcceptedConnection } from './reactor/NonBlockingAccept';
export { PollReactorImpl } from './reactor/PollReactorImpl';
export { Reactor } from './reactor/Reactor';
export { ReactorFactory } from './reactor/ReactorFactory';
export { ReactorImpl, type ReactorErrorHook } from './reactor/ReactorImpl';
export { ReactorMask, type ReactorMaskBits } from './reactor/ReactorMask';
export { type ReactorDispatchStrategy, type ReactorOptions } from './reactor/ReactorOptions';
export { SvcHandler } from './reactor/SvcHandler';
export { REACTOR_IMPL, REACTOR_OPTIONS } from './reactor/tokens';
export { PassiveEventHandler } from './reactor/PassiveEventHandler';
export { Deadline, TimerWheel } from './proactor/TimerWheel';
