import 'reflect-metadata';
import { Container } from 'inversify';
import { ProactorError } from '../common/ProactorError';
import { EpollReactorImpl } from './EpollReactorImpl';
import { PollReactorImpl } from './PollReactorImpl';
import { WsaPollReactorImpl } from './WsaPollReactorImpl';
import { debug } from './reactorDebug';
import { loadNative } from '../native/loadNative';
import { type ReactorImpl } from './ReactorImpl';
import { type ReactorOptions } from './ReactorOptions';
import { REACTOR_IMPL, REACTOR_OPTIONS } from './tokens';

const container = new Container();
container.bind(REACTOR_IMPL).to(EpollReactorImpl).whenNamed('epoll');
container.bind(REACTOR_IMPL).to(PollReactorImpl).whenNamed('poll');
container.bind(REACTOR_IMPL).to(WsaPollReactorImpl).whenNamed('wsapoll');
/** The demultiplexers bound above, each compiled for its platform only. */
const BUILT_IN = new Set(['epoll', 'poll', 'wsapoll']);

/**
 * Abstract Factory for ReactorImpl: picks the demultiplexer for this
 * platform. The order is the addon's; REACTOR_BACKEND or options.backend
 * names one outright. NODE_DEBUG=reactor says which was chosen and why.
 *
 * @example
 * const impl = ReactorFactory.create({ backend: 'poll' });
 */
export class ReactorFactory {
  /** The container the demultiplexers are bound in; bind more to add some. */
  static container(): Container {
    return container;
  }

  /** The demultiplexers to try, in order. */
  static candidates(options: ReactorOptions = {}): string[] {
    const named = options.backend ?? process.env.REACTOR_BACKEND;
    if (named) return [named];
    return loadNative().reactorBackends.split(',').filter((name) => container.isBound(REACTOR_IMPL, { name }));
  }

  /** Whether name is a demultiplexer of this build, or one the program bound in the container; whether or not this machine can set it up. */
  static knows(name: string): boolean {
    if (!container.isBound(REACTOR_IMPL, { name })) return false;
    return loadNative().reactorBackends.split(',').includes(name) || !BUILT_IN.has(name);
  }

  /** The demultiplexers this machine can set up now, in preference order. */
  static availableBackends(): string[] {
    return loadNative()
      .reactorBackends.split(',')
      .filter((name) => {
        try {
          ReactorFactory.create({ backend: name }).close();
          return true;
        } catch {
          return false;
        }
      });
  }

  /** Makes the implementation options name (epoll by default, or poll). */
  static create(options: ReactorOptions = {}): ReactorImpl {
    const explicit = options.backend ?? process.env.REACTOR_BACKEND;
    const refusals: string[] = [];
    let last: ProactorError | undefined;
    for (const name of ReactorFactory.candidates(options)) {
      if (!container.isBound(REACTOR_IMPL, { name })) {
        refusals.push(`${name}: no such reactor backend (known: ${loadNative().reactorBackends})`);
        continue;
      }
      const scoped = new Container({ parent: container });
      scoped.bind(REACTOR_OPTIONS).toConstantValue(options);
      try {
        const impl = scoped.get<ReactorImpl>(REACTOR_IMPL, { name });
        const why = explicit ? `named by ${options.backend ? 'options.backend' : 'REACTOR_BACKEND'}` : refusals.length ? `after ${refusals.join('; ')}` : 'first choice for this platform';
        debug(`reactor backend ${name} chosen (${why}): ${impl.describe()}`);
        return impl;
      } catch (e) {
        const cause = ProactorError.is(e) ? e : (e as Error).cause instanceof ProactorError ? ((e as Error).cause as ProactorError) : e;
        if (ProactorError.is(cause)) last = cause;
        refusals.push(`${name}: ${(cause as Error).message}`);
        debug(`reactor backend ${name} refused: ${(cause as Error).message}`);
      }
    }
    throw new ProactorError('backend-unavailable', `no reactor backend could be set up: ${refusals.join('; ') || 'none known'}`, last?.errno, last?.syscall);
  }
}
