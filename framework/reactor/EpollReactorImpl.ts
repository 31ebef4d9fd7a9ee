import { inject, injectable } from 'inversify';
import { NativeReactorImpl } from './NativeReactorImpl';
import { type ReactorOptions } from './ReactorOptions';
import { REACTOR_OPTIONS } from './tokens';

/**
 * ACE_Dev_Poll_Reactor over Linux epoll — POSA2 Synchronous Event
 * Demultiplexer, the kernel keeping the interest set. Its epoll fd is
 * itself watched by libuv for post-reactive dispatch. Linux's default.
 */
@injectable()
export class EpollReactorImpl extends NativeReactorImpl {
  constructor(@inject(REACTOR_OPTIONS) options: ReactorOptions) {
    super('epoll', options);
  }
}
