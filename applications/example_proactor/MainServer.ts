import { parseArgs } from 'node:util';
import { InetAddr } from '../../framework/common/InetAddr';
import { Proactor } from '../../framework/proactor/Proactor';
import { type DispatchStrategy } from '../../framework/proactor/ProactorOptions';
import { Reactor } from '../../framework/reactor/Reactor';
import { Acceptor } from './Acceptor';

const NAME = 'example_proactor server';
const USAGE = `usage: MainServer [--host 127.0.0.1] [--port 8080] [--backend <proactor backend>]
                  [--reactor epoll|poll] [--dispatch post-reactive|call-through] [--verbose]`;
/** Call-through: the longest the proactor waits before the reactor and Node get a turn. */
const CALL_THROUGH_SLICE_MS = 10;
/** Shutdown: how long open connections get to close before the proactor cancels them. */
const CLOSE_GRACE_MS = 5000;

interface ServerOptions {
  host: string;
  port: number;
  backend?: string;
  reactor?: string;
  dispatch: DispatchStrategy;
  verbose: boolean;
}

function parse(argv: string[]): ServerOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      backend: { type: 'string' },
      reactor: { type: 'string' },
      dispatch: { type: 'string', default: 'post-reactive' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new Error(USAGE);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got '${values.port}'\n${USAGE}`);
  if (values.dispatch !== 'post-reactive' && values.dispatch !== 'call-through') {
    throw new Error(`--dispatch must be post-reactive or call-through, got '${values.dispatch}'\n${USAGE}`);
  }
  return { host: values.host!, port, backend: values.backend, reactor: values.reactor, dispatch: values.dispatch, verbose: values.verbose! };
}

/**
 * Call-through: this thread waits in the kernel itself. The reactor is
 * looked at without waiting, the proactor waits a short slice, then Node's
 * loop gets a turn (signals, timers) before the next round.
 */
async function runCallThrough(reactor: Reactor, proactor: Proactor, stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    reactor.handleEvents(0);
    proactor.handleEvents(CALL_THROUGH_SLICE_MS);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Resolves with the first SIGINT or SIGTERM; later ones are only reported. */
function firstSignal(): { received: Promise<NodeJS.Signals>; dispose: () => void } {
  let first: ((signal: NodeJS.Signals) => void) | undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => (first = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (first) {
      first(signal);
      first = undefined;
    } else {
      process.stderr.write(`${NAME}: ${signal} received, already shutting down\n`);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    received,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * Runs the example server: a Reactor accepts, a Proactor serves, both in
 * this one Node process. Returns the exit code.
 */
export async function main(argv: string[]): Promise<number> {
  let options: ServerOptions;
  try {
    options = parse(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const log = options.verbose ? (line: string) => process.stderr.write(`${NAME}: ${line}\n`) : undefined;
  let proactor: Proactor | undefined;
  let reactor: Reactor | undefined;
  const acceptor = new Acceptor(log);
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
  const signals = firstSignal();
  let stopped = false;
  const loops =
    options.dispatch === 'post-reactive'
      ? [Reactor.instance().runReactorEventLoop(), Proactor.instance().proactorRunEventLoop()]
      : [runCallThrough(reactor, proactor, () => stopped)];
  const local = acceptor.getLocalAddr();
  process.stdout.write(`example_proactor server listening on ${local} (backend ${proactor.backend}, reactor ${reactor.backend}, dispatch ${options.dispatch})\n`);

  const signal = await signals.received;
  process.stdout.write(`${NAME}: ${signal} received, shutting down\n`);
  acceptor.close();
  const open = acceptor.connections();
  let grace: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    acceptor.closeAll().then(() => true),
    new Promise<boolean>((resolve) => (grace = setTimeout(() => resolve(false), CLOSE_GRACE_MS))),
  ]);
  clearTimeout(grace);
  if (!closed) process.stderr.write(`${NAME}: ${acceptor.connections()} connections still closing after ${CLOSE_GRACE_MS} ms; cancelling\n`);
  stopped = true;
  reactor.endReactorEventLoop();
  proactor.proactorEndEventLoop();
  await Promise.all(loops);
  await reactor.close();
  await proactor.close();
  signals.dispose();
  const s = acceptor.stats;
  process.stdout.write(
    `${NAME} stopped: ${s.accepted} connections accepted, ${open} open at shutdown, ${s.closed} closed, ` +
      `${acceptor.connections()} left open; ${s.lines} lines echoed, ${s.tooLong} lines too long, ${s.failed} connections failed\n`,
  );
  return closed ? 0 : 1;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // Everything is closed: the process ends by itself. If something was left, say what.
    setTimeout(() => {
      process.stderr.write(`${NAME}: still running after shutdown: ${process.getActiveResourcesInfo().join(', ')}\n`);
      process.exit(code || 1);
    }, 3000).unref();
  });
}
