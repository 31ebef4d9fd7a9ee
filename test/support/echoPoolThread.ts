import { EchoService, type EchoStats } from '../../applications/echo/EchoService';
import { AsynchAcceptor } from '../../framework/proactor/AsynchAcceptor';
import { type PoolThreadContext, type PoolThreadService } from '../../framework/proactor/ProactorPool';

/** What the pool test asks of each thread. */
export interface EchoThreadOptions {
  /** Goes into each thread's details, with the thread's index. */
  label: string;
  /** The thread whose opener throws (-1: none). */
  failOpenOn: number;
  /** The thread whose stop() rejects (-1: none). */
  failStopOn: number;
}

/** A thread's counts: its connections, the bytes it echoed, its own loop's rounds and the backlog it was given. */
export interface EchoThreadCounts extends EchoStats {
  accepted: number;
  rounds: number;
  backlog: number;
}

/**
 * A ProactorPool thread module for the tests: EchoService behind an
 * AsynchAcceptor on the shared port, dispatched by a loop of its own that
 * counts its rounds, so the test can tell the thread's run() was the loop.
 */
export function openEchoThread(context: PoolThreadContext<EchoThreadOptions>): PoolThreadService<EchoThreadCounts> {
  const { thread, proactor, options } = context;
  if (thread === options.failOpenOn) throw new Error(`thread ${thread} will not open`);
  const stats: EchoStats = { opened: 0, closed: 0, bytes: 0 };
  let rounds = 0;
  const acceptor = new AsynchAcceptor<EchoService>();
  acceptor.open(context.address, { proactor, reusePort: true, backlog: context.backlog, makeHandler: () => new EchoService(stats) });
  return {
    port: acceptor.getLocalAddr().port,
    details: { label: `${options.label} ${thread}` },
    run: async () => {
      while (!proactor.proactorEventLoopDone()) {
        proactor.handleEvents(10);
        rounds++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    stop: async () => {
      await acceptor.close();
      if (thread === options.failStopOn) throw new Error(`thread ${thread} will not stop`);
      return { ...stats, accepted: stats.opened, rounds, backlog: context.backlog };
    },
  };
}
