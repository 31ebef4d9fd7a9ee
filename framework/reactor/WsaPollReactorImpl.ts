import { inject, injectable } from 'inversify';
import { NativeReactorImpl } from './NativeReactorImpl';
import { type ReactorOptions } from './ReactorOptions';
import { REACTOR_OPTIONS } from './tokens';

/**
 * ACE_Select_Reactor over WSAPoll — the Reactor's synchronous event
 * demultiplexer on Windows, where sockets are all it watches. For
 * post-reactive dispatch a native watcher thread polls and wakes this
 * thread through a thread-safe function (there is no fd for libuv to poll).
 */
@injectable()
export class WsaPollReactorImpl extends NativeReactorImpl {
  constructor(@inject(REACTOR_OPTIONS) options: ReactorOptions) {
    super('wsapoll', options);
  }
}
