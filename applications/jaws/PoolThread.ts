import { type PoolThreadContext, type PoolThreadService } from '../../framework/proactor/ProactorPool';
import { type JawsLimits } from './JawsLimits';
import { JawsServer, type JawsStats } from './JawsServer';

/** What the main thread gives each thread of `--dispatch pool`. */
export interface JawsThreadOptions {
  root: string;
  limits: JawsLimits;
  accessLog: boolean;
  /** Shutdown: how long responses in flight get. */
  graceMs: number;
  /** How far a thread's connections must fall below their peak for a release: its share of the 1,000. */
  releaseMinDrop: number;
}

/**
 * The thread module of `--dispatch pool`: the whole JAWS over again on one
 * worker thread — its own AsynchAcceptor on the pool's address, opened with
 * `reusePort` (on Linux each thread's listener shares the port through
 * SO_REUSEPORT; where the pool hands connections over, as on Windows, that
 * open gives the thread its share instead) — and its own Proactor,
 * dispatched call-through by the thread.
 */
export function openJawsThread(context: PoolThreadContext<JawsThreadOptions>): PoolThreadService<JawsStats> {
  const { options } = context;
  const jaws = new JawsServer({
    root: options.root,
    limits: options.limits,
    accessLog: options.accessLog ? (line) => process.stdout.write(`${line}\n`) : undefined,
    releaseMinDrop: options.releaseMinDrop,
  });
  jaws.open(context.address, context.proactor, { reusePort: true, backlog: context.backlog });
  return {
    port: jaws.getLocalAddr().port,
    stop: () => jaws.shutDown(options.graceMs),
  };
}
