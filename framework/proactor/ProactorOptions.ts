import { type BufferPoolOptions } from './RegisteredBufferPool';

/** How a Proactor's completions are dispatched (the paper's §7.2.2). */
export type DispatchStrategy = 'post-reactive' | 'call-through';

/** Choices for ProactorFactory.create and new Proactor(options). */
export interface ProactorOptions {
  /** Backend name or preference list ('uring', 'epoll', 'aio', 'uring,epoll'); default: PROACTOR_BACKEND, else uring, falling back to epoll (aio only when named). */
  backend?: string;
  /** Submission queue entries (io_uring); default 1024. */
  sqEntries?: number;
  /** Completion queue entries; default four times sqEntries. */
  cqEntries?: number;
  /** io_uring SQPOLL: a kernel thread polls the SQ. Off: it burns a core. */
  sqpoll?: boolean;
  /**
   * io_uring SINGLE_ISSUER|DEFER_TASKRUN: the kernel defers completion work
   * to our next reap instead of interrupting the thread for it. Default on
   * (a proactor is used from one thread); kernels without it fall back.
   */
  deferTaskrun?: boolean;
  /** Completions copied from the kernel per native call; default 1024. */
  completionBatch?: number;
  /**
   * The registered buffer pool behind Proactor.bufferPool(), made on its
   * first use; default 128 blocks of 64 KiB. A locked-memory limit too
   * small for it halves it until it fits.
   */
  bufferPool?: BufferPoolOptions;
  /**
   * io_uring registered-file slots (0: none, the default). A stream's fd
   * takes a slot at its first operation and gives it back at closeHandle,
   * saving the kernel a file lookup per operation. With slots on, close
   * every handle the proactor has used through closeHandle: a slot holds
   * its file open.
   */
  fixedFiles?: number;
  /**
   * Writes of at least this many bytes to a socket go without a copy
   * (SEND_ZC), the handler hearing when the kernel is done with the block;
   * 0 (the default) never. It pays on real NICs for large writes; over
   * loopback the kernel copies anyway (see docs/benchmarks.md).
   */
  zeroCopySendThreshold?: number;
  /**
   * @internal io_uring: cancel operation by operation, as the framework
   * must on kernels before 5.19; for the tests of that path.
   */
  legacyCancel?: boolean;
}
