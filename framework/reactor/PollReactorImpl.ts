import { inject, injectable } from 'inversify';
import { NativeReactorImpl } from './NativeReactorImpl';
import { type ReactorOptions } from './ReactorOptions';
import { REACTOR_OPTIONS } from './tokens';

/**
 * ACE_Select_Reactor over poll(2) — POSA2 Synchronous Event Demultiplexer
 * as the paper describes it: the interest set lives in user space and each
 * wait hands all of it to the kernel. Portable; for post-reactive dispatch
 * a native watcher thread polls and signals an eventfd that libuv watches.
 */
@injectable()
export class PollReactorImpl extends NativeReactorImpl {
  constructor(@inject(REACTOR_OPTIONS) options: ReactorOptions) {
    super('poll', options);
  }
}
