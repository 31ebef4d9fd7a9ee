import { EchoService, type EchoStats } from '../../applications/echo/EchoService';
import { InetAddr } from '../../framework/common/InetAddr';
import { SockAcceptor } from '../../framework/common/SockAcceptor';
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
  /** The thread that opens the pool's address but never accepts (-1: none). */
  stallOn?: number;
  /** The thread that listens on a port of its own instead of the pool's (-1: none). */
  elsewhereOn?: number;
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
  if (thread === options.stallOn) return openStalled(context);
  const acceptor = new AsynchAcceptor<EchoService>();
  const address = thread === options.elsewhereOn ? new InetAddr(0, context.address.host) : context.address;
  acceptor.open(address, { proactor, reusePort: thread !== options.elsewhereOn, backlog: context.backlog, makeHandler: () => new EchoService(stats) });
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

/** A thread that listens on the pool's address as the others do, and never accepts: its connections wait until it stops. */
function openStalled(context: PoolThreadContext<EchoThreadOptions>): PoolThreadService<EchoThreadCounts> {
  const listener = new SockAcceptor();
  listener.open(context.address, { reusePort: true, backlog: context.backlog });
  return {
    port: listener.getLocalAddr().port,
    details: { label: `${context.options.label} ${context.thread}` },
    stop: async () => {
      listener.close();
      return { opened: 0, closed: 0, bytes: 0, accepted: 0, rounds: 0, backlog: context.backlog };
    },
  };
}
