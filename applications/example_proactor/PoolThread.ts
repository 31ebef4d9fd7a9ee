import { type PoolThreadContext, type PoolThreadService } from '../../framework/proactor/ProactorPool';
import { Reactor } from '../../framework/reactor/Reactor';
import { Acceptor, CLOSE_GRACE_MS, type ServerSummary, type ServerTimeouts } from './Acceptor';
import { runCallThrough } from './CallThrough';

/** What MainServer gives each thread of `--dispatch pool`. */
export interface ServerThreadOptions {
  /** Starts each line the thread writes on stderr. */
  name: string;
  /** The thread's Reactor backend; default: the platform's best. */
  reactor?: string;
  /** Report each connection on stderr. */
  verbose: boolean;
  /** The idle and line timeouts of each connection. */
  timeouts: ServerTimeouts;
  /** Quiet time after a spike of connections before its memory is given back (ms; 0: never; default DEFAULT_RELEASE_MEMORY_MS). */
  releaseMemoryMs?: number;
  /** How far a thread's connections must fall below their peak for a release: its share of RELEASE_MIN_DROP. */
  releaseMinDrop?: number;
}

/**
 * The thread module of `--dispatch pool`: one thread of the example server,
 * the whole single-threaded server over again — its own Reactor with an
 * Acceptor on the pool's port (reusePort), serving on the thread's own
 * Proactor, both dispatched call-through by this thread. On Linux the
 * kernel spreads the connections over the threads' listening sockets
 * (SO_REUSEPORT); on Windows the pool hands them to the threads in turn and
 * the Acceptor takes this thread's. A connection stays on the thread that
 * accepted it.
 */
export function openServerThread(context: PoolThreadContext<ServerThreadOptions>): PoolThreadService<ServerSummary> {
  const { thread, proactor, options } = context;
  const say = (line: string) => process.stderr.write(`${options.name}: thread ${thread}: ${line}\n`);
  const reactor = new Reactor({ backend: options.reactor });
  Reactor.instance(reactor);
  const acceptor = new Acceptor(options.verbose ? say : undefined, options.timeouts, options.releaseMemoryMs, options.releaseMinDrop);
  try {
    acceptor.open(context.address, reactor, proactor, { reusePort: true, backlog: context.backlog });
  } catch (e) {
    void reactor.close();
    throw e;
  }
  return {
    port: acceptor.getLocalAddr().port,
    details: { reactor: reactor.backend },
    run: async () => {
      await runCallThrough(reactor, proactor);
      await reactor.close();
    },
    stop: async () => {
      const summary = await acceptor.shutDown(CLOSE_GRACE_MS);
      if (summary.leftOpen > 0) say(`${summary.leftOpen} connections still closing after ${CLOSE_GRACE_MS} ms; cancelling`);
      return summary;
    },
  };
}
