import { join } from 'node:path';
import { InetAddr } from '../../framework/common/InetAddr';
import { Proactor } from '../../framework/proactor/Proactor';
import { type DispatchStrategy } from '../../framework/proactor/ProactorOptions';
import { ProactorPool } from '../../framework/proactor/ProactorPool';
import { Reactor } from '../../framework/reactor/Reactor';
import { Acceptor, CLOSE_GRACE_MS, DEFAULT_TIMEOUTS, type ServerSummary, type ServerTimeouts } from './Acceptor';
import { runCallThrough } from './CallThrough';
import { backendNames, numericHost, parseFlags, reactorName, wholeNumber } from './Flags';
import { type ServerThreadOptions } from './PoolThread';
import { DEFAULT_RELEASE_MEMORY_MS, RELEASE_MIN_DROP } from '../common/memoryRelease';
import { firstSignal, runAsMain, serveFromCommandLine, serveOnPoolUntilSignal } from '../common/commandLine';

const NAME = 'example_proactor server';
const USAGE = `usage: MainServer [--host 127.0.0.1] [--port 8080 (0: any free port)] [--backend <proactor backend>]
                  [--reactor epoll|poll] [--dispatch post-reactive|call-through|pool]
                  [--threads 2 (with --dispatch pool)] [--verbose]
                  [--idle-timeout ${DEFAULT_TIMEOUTS.idleMs} (ms without a byte read or written; 0: none)]
                  [--line-timeout ${DEFAULT_TIMEOUTS.lineMs} (ms from a line's first byte to its newline; 0: none)]
                  [--release-memory ${DEFAULT_RELEASE_MEMORY_MS} (ms at a quarter of the peak connections or fewer before
                   the memory a spike left is given back; 0: never)]`;
/** How the server dispatches: one of the Proactor's strategies, or a pool of threads that each run call-through. */
type ServerDispatch = DispatchStrategy | 'pool';
const DISPATCHES: readonly string[] = ['post-reactive', 'call-through', 'pool'] satisfies ServerDispatch[];
/** --dispatch pool: threads when --threads is not given. */
const DEFAULT_THREADS = 2;

interface ServerOptions {
  host: string;
  port: number;
  backend?: string;
  reactor?: string;
  dispatch: ServerDispatch;
  /** Worker threads of --dispatch pool. */
  threads: number;
  verbose: boolean;
  timeouts: ServerTimeouts;
  /** --release-memory. */
  releaseMemoryMs: number;
}

function parse(argv: string[]): ServerOptions {
  const { values } = parseFlags({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      backend: { type: 'string' },
      reactor: { type: 'string' },
      dispatch: { type: 'string', default: 'post-reactive' },
      threads: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'idle-timeout': { type: 'string', default: String(DEFAULT_TIMEOUTS.idleMs) },
      'line-timeout': { type: 'string', default: String(DEFAULT_TIMEOUTS.lineMs) },
      'release-memory': { type: 'string', default: String(DEFAULT_RELEASE_MEMORY_MS) },
      help: { type: 'boolean', default: false },
    },
  }, USAGE);
  if (values.help) throw new Error(USAGE);
  const port = wholeNumber('port', values.port!, 0, 65535, USAGE);
  if (!DISPATCHES.includes(values.dispatch!)) {
    throw new Error(`--dispatch must be post-reactive, call-through or pool, got '${values.dispatch}'\n${USAGE}`);
  }
  const dispatch = values.dispatch as ServerDispatch;
  if (values.threads !== undefined && dispatch !== 'pool') throw new Error(`--threads goes with --dispatch pool\n${USAGE}`);
  const threads = values.threads === undefined ? DEFAULT_THREADS : wholeNumber('threads', values.threads, 1, 256, USAGE);
  const timeouts: ServerTimeouts = {
    idleMs: wholeNumber('idle-timeout', values['idle-timeout']!, 0, 2 ** 31 - 1, USAGE),
    lineMs: wholeNumber('line-timeout', values['line-timeout']!, 0, 2 ** 31 - 1, USAGE),
  };
  const releaseMemoryMs = wholeNumber('release-memory', values['release-memory']!, 0, 2 ** 31 - 1, USAGE);
  const backend = backendNames(values.backend, USAGE);
  const reactor = reactorName(values.reactor, USAGE);
  return { host: numericHost(values.host!, USAGE), port, backend, reactor, dispatch, threads, verbose: values.verbose!, timeouts, releaseMemoryMs };
}

/** Resolves with the first SIGINT or SIGTERM; later ones are only reported. */
/** The line that says the server is ready; the tests and scripts wait for it. */
function announceListening(address: InetAddr, proactorBackend: string, reactorBackend: string, options: ServerOptions): void {
  const pool = options.dispatch === 'pool' ? `, threads ${options.threads}` : '';
  process.stdout.write(
    `example_proactor server listening on ${address} (backend ${proactorBackend}, reactor ${reactorBackend}, dispatch ${options.dispatch}${pool})\n`,
  );
}

/** Prints the summary line; the exit code is 0 when every connection closed within the grace period. */
function report(s: ServerSummary): number {
  process.stdout.write(
    `${NAME} stopped: ${s.accepted} connections accepted, ${s.openAtShutdown} open at shutdown, ${s.closed} closed, ` +
      `${s.leftOpen} left open; ${s.lines} lines echoed, ${s.tooLong} lines too long, ${s.failed} connections failed, ${s.timedOut} timed out\n`,
  );
  return s.leftOpen === 0 ? 0 : 1;
}

/** The pool's threads' summaries, added up. */
function addUp(summaries: ServerSummary[]): ServerSummary {
  const total: ServerSummary = { accepted: 0, openAtShutdown: 0, closed: 0, leftOpen: 0, lines: 0, tooLong: 0, failed: 0, timedOut: 0 };
  for (const s of summaries) for (const key of Object.keys(total) as (keyof ServerSummary)[]) total[key] += s[key];
  return total;
}

/**
 * post-reactive and call-through: a Reactor accepts, a Proactor serves,
 * both on this thread. Returns the exit code.
 */
async function serveOnThisThread(options: ServerOptions): Promise<number> {
  const log = options.verbose ? (line: string) => process.stderr.write(`${NAME}: ${line}\n`) : undefined;
  let proactor: Proactor | undefined;
  let reactor: Reactor | undefined;
  const acceptor = new Acceptor(log, options.timeouts, options.releaseMemoryMs);
  try {
    proactor = new Proactor({ backend: options.backend });
    reactor = new Reactor({ backend: options.reactor });
    Proactor.instance(proactor);
    Reactor.instance(reactor);
    acceptor.open(new InetAddr(options.port, options.host), reactor, proactor);
  } catch (e) {
    process.stderr.write(`${NAME}: ${(e as Error).message}\n`);
    await reactor?.close();
    await proactor?.close();
    return 1;
  }
  const signals = firstSignal(NAME);
  const loops =
    options.dispatch === 'post-reactive'
      ? [Reactor.instance().runReactorEventLoop(), Proactor.instance().proactorRunEventLoop()]
      : [runCallThrough(reactor, proactor)];
  announceListening(acceptor.getLocalAddr(), proactor.backend, reactor.backend, options);

  const signal = await signals.received;
  process.stdout.write(`${NAME}: ${signal} received, shutting down\n`);
  const summary = await acceptor.shutDown(CLOSE_GRACE_MS);
  if (summary.leftOpen > 0) process.stderr.write(`${NAME}: ${summary.leftOpen} connections still closing after ${CLOSE_GRACE_MS} ms; cancelling\n`);
  reactor.endReactorEventLoop();
  proactor.proactorEndEventLoop();
  await Promise.all(loops);
  await reactor.close();
  await proactor.close();
  signals.dispose();
  return report(summary);
}

/**
 * pool: N worker threads, each the whole server over again (its own
 * Reactor, Acceptor and Proactor, see PoolThread) on one port, shared through
 * SO_REUSEPORT on Linux and handed over by the pool's acceptor thread on
 * Windows. This thread only waits for the signal, stops the pool and
 * adds up what the threads report. Returns the exit code.
 */
async function serveOnPool(options: ServerOptions): Promise<number> {
  const threadOptions: ServerThreadOptions = {
    name: NAME,
    reactor: options.reactor,
    verbose: options.verbose,
    timeouts: options.timeouts,
    releaseMemoryMs: options.releaseMemoryMs,
    // Each thread sees its share of a spike.
    releaseMinDrop: Math.ceil(RELEASE_MIN_DROP / options.threads),
  };
  const pool = new ProactorPool<ServerSummary>({
    threads: options.threads,
    address: new InetAddr(options.port, options.host),
    proactor: { backend: options.backend },
    threadModule: join(__dirname, 'PoolThread.js'),
    threadExport: 'openServerThread',
    threadOptions,
  });
  return serveOnPoolUntilSignal(
    NAME,
    pool,
    (address) => {
      const first = pool.threadInfo()[0];
      announceListening(address, first.backend, first.details.reactor, options);
    },
    'received, shutting down',
    (threads) => report(addUp(threads)),
  );
}

/** Runs the example server; returns the exit code. */
export function main(argv: string[]): Promise<number> {
  return serveFromCommandLine(argv, parse, serveOnPool, serveOnThisThread);
}

if (require.main === module) runAsMain(NAME, main);
