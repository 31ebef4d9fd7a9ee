/** How a Reactor's events are dispatched: from Node's loop, or by waiting on this thread. */
export type ReactorDispatchStrategy = 'post-reactive' | 'call-through';

/** Choices for ReactorFactory.create and new Reactor(options). */
export interface ReactorOptions {
  /** Demultiplexer ('epoll', 'poll'); default: REACTOR_BACKEND, else the platform's best. */
  backend?: string;
  /** (fd, events) pairs taken from the kernel per native call; default 1024. */
  eventBatch?: number;
}
