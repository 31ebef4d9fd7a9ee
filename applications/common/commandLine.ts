/**
 * The command-line entry the bundled servers share: flags parsed (a bad
 * flag: its message, exit code 2), then served on a thread pool or on this
 * thread; run as the main module, the process ends by itself once the
 * server has closed everything, and says what is left if it does not.
 */

import { type InetAddr } from '../../framework/common/InetAddr';
import { type PoolThreadCounts, type PoolThreadSummary, type ProactorPool } from '../../framework/proactor/ProactorPool';

/** The first SIGINT or SIGTERM; later ones are only reported, while shutting down. */
export interface ShutdownSignal {
  readonly received: Promise<NodeJS.Signals>;
  /** Stops listening for the signals. */
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM on behalf of the server called name. A
 * signal after the first is said to come while shutting down, unless
 * starting() says the server is still starting: then the listeners go and
 * the signal is raised again, so that it ends the process as if none had
 * been installed (a start that hangs can still be stopped).
 */
export function firstSignal(name: string, starting: () => boolean = () => false): ShutdownSignal {
  let first: ((signal: NodeJS.Signals) => void) | undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => (first = resolve));
  const dispose = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (first) {
      first(signal);
      first = undefined;
    } else if (starting()) {
      process.stderr.write(`${name}: ${signal} received again while starting; stopping at once\n`);
      dispose();
      process.kill(process.pid, signal);
    } else {
      process.stderr.write(`${name}: ${signal} received, already shutting down\n`);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { received, dispose };
}

/**
 * Serves on a thread pool until the first signal (one that comes while the
 * threads start is kept for when they have; a second one then ends the
 * process): starts it (a failure: its
 * message, exit code 1), announces its address, and at the signal says
 * `<signal> <stopping>`, stops the pool and hands what its threads report to
 * finish, whose result is the exit code.
 */
export async function serveOnPoolUntilSignal<C extends PoolThreadCounts>(
  name: string,
  pool: ProactorPool<C>,
  announce: (address: InetAddr) => void,
  stopping: string,
  finish: (threads: PoolThreadSummary<C>[]) => number,
): Promise<number> {
  // Listening from before the threads start (which takes a second or two):
  // a signal meanwhile stops the server as soon as it is up, not the process.
  let started = false;
  const signals = firstSignal(name, () => !started);
  let address: InetAddr;
  try {
    address = await pool.start();
    started = true;
  } catch (e) {
    signals.dispose();
    process.stderr.write(`${name}: ${(e as Error).message}\n`);
    return 1;
  }
  announce(address);
  const signal = await signals.received;
  process.stdout.write(`${name}: ${signal} ${stopping}\n`);
  try {
    return finish(await pool.stop());
  } catch (e) {
    process.stderr.write(`${name}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    signals.dispose();
  }
}

/** Parses argv with parse, then serves as `dispatch` says; resolves with the exit code. */
export async function serveFromCommandLine<O extends { dispatch: string }>(
  argv: string[],
  parse: (argv: string[]) => O,
  serveOnPool: (options: O) => Promise<number>,
  serveOnThisThread: (options: O) => Promise<number>,
): Promise<number> {
  let options: O;
  try {
    options = parse(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  return options.dispatch === 'pool' ? serveOnPool(options) : serveOnThisThread(options);
}

/**
 * Runs main with the process's arguments and sets the exit code. Everything
 * closed, the process ends by itself; if it is still running 3 s later, the
 * resources that hold it are named and it exits.
 */
export function runAsMain(name: string, main: (argv: string[]) => Promise<number>): void {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    setTimeout(() => {
      process.stderr.write(`${name}: still running after shutdown: ${process.getActiveResourcesInfo().join(', ')}\n`);
      process.exit(code || 1);
    }, 3000).unref();
  });
}
