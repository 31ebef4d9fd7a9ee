import 'reflect-metadata';
import { Container } from 'inversify';
import { debug } from '../common/debug';
import { Errno } from '../common/errno';
import { ProactorError } from '../common/ProactorError';
import { loadNative } from '../native/loadNative';
import { type ProactorImpl } from './ProactorImpl';
import { type ProactorOptions } from './ProactorOptions';
import { PROACTOR_IMPL, PROACTOR_OPTIONS } from './tokens';
import { UringProactorImpl } from './UringProactorImpl';
import { EpollProactorImpl } from './EpollProactorImpl';
import { AioProactorImpl } from './AioProactorImpl';
import { IocpProactorImpl } from './IocpProactorImpl';

const container = new Container();

/**
 * Backends this process found refused for good (the kernel or a sandbox
 * said no: EPERM, ENOSYS, EACCES, a missing opcode), with the error: each
 * is tried once per process, not once per Proactor.
 */
const refusedForGood = new Map<string, ProactorError>();
/** Errnos that say a backend will never set up in this process. */
const LASTING = new Set([Errno.EPERM, Errno.ENOSYS, Errno.EACCES]);
/** Backends that have set up once in this process. */
const available = new Set<string>();
container.bind(PROACTOR_IMPL).to(UringProactorImpl).whenNamed('uring');
container.bind(PROACTOR_IMPL).to(EpollProactorImpl).whenNamed('epoll');
container.bind(PROACTOR_IMPL).to(AioProactorImpl).whenNamed('aio');
container.bind(PROACTOR_IMPL).to(IocpProactorImpl).whenNamed('iocp');
/** The backends bound above, each compiled for its platform only. */
const BUILT_IN = new Set(['uring', 'epoll', 'aio', 'iocp']);

/**
 * Abstract Factory for ProactorImpl: picks the backend, 'uring' then
 * 'epoll' on Linux, 'iocp' on Windows; 'aio' is built on Linux too but
 * taken only when named (the addon's defaultBackends leaves it out). The order is the addon's; PROACTOR_BACKEND or
 * options.backend names one, or a comma-separated preference list. A
 * backend the kernel refuses (ENOSYS, EPERM, io_uring_disabled) is passed
 * over for the next name in the list; with none left, create() throws
 * 'backend-unavailable' naming every refusal and what to do.
 * NODE_DEBUG=proactor says which was chosen and why.
 *
 * @example
 * const impl = ProactorFactory.create({ backend: 'uring' });
 */
export class ProactorFactory {
  /** The container the backends are bound in; bind more to add backends. */
  static container(): Container {
    return container;
  }

  /** The backends to try, in order. */
  static candidates(options: ProactorOptions = {}): string[] {
    const named = options.backend ?? process.env.PROACTOR_BACKEND;
    if (named) return named.split(',').map((name) => name.trim()).filter(Boolean);
    return loadNative().defaultBackends.split(',').filter((name) => container.isBound(PROACTOR_IMPL, { name }));
  }

  /** Whether name is a backend of this build, or one the program bound in the container; whether or not this machine can set it up. */
  static knows(name: string): boolean {
    if (!container.isBound(PROACTOR_IMPL, { name })) return false;
    return loadNative().backends.split(',').includes(name) || !BUILT_IN.has(name);
  }

  /** The backends this build has that are taken only when named, not by default. */
  static byNameOnly(): string[] {
    const defaults = new Set(loadNative().defaultBackends.split(','));
    return loadNative().backends.split(',').filter((name) => !defaults.has(name));
  }

  /** The backends this machine can set up now, in preference order (each probed once per process). */
  static availableBackends(): string[] {
    return loadNative()
      .backends.split(',')
      .filter((name) => {
        if (refusedForGood.has(name)) return false;
        if (available.has(name)) return true;
        try {
          ProactorFactory.create({ backend: name }).close();
          available.add(name);
          return true;
        } catch {
          return false;
        }
      });
  }

  /** Makes the implementation options name (or the most preferred this machine can run); throws ProactorError listing why each was refused. */
  static create(options: ProactorOptions = {}): ProactorImpl {
    const candidates = ProactorFactory.candidates(options);
    const explicit = options.backend ?? process.env.PROACTOR_BACKEND;
    const refusals: string[] = [];
    let last: ProactorError | undefined;
    for (const name of candidates) {
      if (!container.isBound(PROACTOR_IMPL, { name })) {
        refusals.push(`${name}: no such backend (known: ${loadNative().backends})`);
        continue;
      }
      const earlier = refusedForGood.get(name);
      if (earlier) {
        last = earlier;
        refusals.push(`${name}: ${earlier.message}`);
        debug(`backend ${name} passed over: refused earlier in this process`);
        continue;
      }
      const scoped = new Container({ parent: container });
      scoped.bind(PROACTOR_OPTIONS).toConstantValue(options);
      try {
        const impl = scoped.get<ProactorImpl>(PROACTOR_IMPL, { name });
        const source = explicit ? `named by ${options.backend ? 'options.backend' : 'PROACTOR_BACKEND'}` : 'the platform default';
        const why = refusals.length ? `${source}, after ${refusals.join('; ')}` : source;
        debug(`backend ${name} chosen (${why}): ${impl.describe()}`);
        if (!explicit) {
          for (const other of ProactorFactory.byNameOnly()) debug(`backend ${other} passed over: taken only when named (options.backend or PROACTOR_BACKEND)`);
        }
        return impl;
      } catch (e) {
        const cause = ProactorError.is(e) ? e : (e as Error).cause instanceof ProactorError ? ((e as Error).cause as ProactorError) : e;
        if (ProactorError.is(cause)) {
          last = cause;
          const lasting = cause.kind === 'backend-unavailable' && ((cause.errno !== undefined && LASTING.has(cause.errno)) || / lacks /.test(cause.message));
          if (lasting) refusedForGood.set(name, cause);
        }
        refusals.push(`${name}: ${(cause as Error).message}`);
        debug(`backend ${name} refused: ${(cause as Error).message}`);
      }
    }
    throw new ProactorError(
      'backend-unavailable',
      `no proactor backend could be set up: ${refusals.join('; ') || 'none known'}`,
      last?.errno,
      last?.syscall,
    );
  }
}
