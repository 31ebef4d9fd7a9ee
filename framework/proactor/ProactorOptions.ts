/** How a Proactor's completions are dispatched (the paper's §7.2.2). */
export type DispatchStrategy = 'post-reactive' | 'call-through';

/** Choices for ProactorFactory.create and new Proactor(options). */
export interface ProactorOptions {
  /** Backend name ('uring', …); default: PROACTOR_BACKEND, else the platform's best. */
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
}
