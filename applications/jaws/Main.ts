import { join } from 'node:path';
import { InetAddr } from '../../framework/common/InetAddr';
import { Proactor } from '../../framework/proactor/Proactor';
import { ProactorPool } from '../../framework/proactor/ProactorPool';
import { parseJawsFlags, type JawsCommandLine } from './JawsFlags';
import { JawsServer, type JawsStats } from './JawsServer';
import { type JawsThreadOptions } from './PoolThread';
import { RELEASE_MIN_DROP } from '../common/memoryRelease';
import { firstSignal, runAsMain, serveFromCommandLine, serveOnPoolUntilSignal } from '../common/commandLine';

const NAME = 'jaws';
/** Shutdown: how long responses in flight get to finish. */
const GRACE_MS = 10000;

type Summary = JawsStats & { leftOpen: number };

function announce(address: InetAddr, backend: string, options: JawsCommandLine): void {
  const pool = options.dispatch === 'pool' ? `, threads ${options.threads}` : '';
  process.stdout.write(`${NAME} listening on ${address} (root ${options.root}, backend ${backend}, dispatch ${options.dispatch}${pool})\n`);
}

function report(s: Summary): number {
  process.stdout.write(
    `${NAME} stopped: ${s.accepted} connections, ${s.requests} requests, ${s.responses} responses, ${s.refused} refused, ` +
      `${s.timedOut} timed out, ${s.rejected} rejected, ${s.failed} failed, ${s.leftOpen} left open\n`,
  );
  return s.leftOpen === 0 ? 0 : 1;
}

async function serveOnThisThread(options: JawsCommandLine): Promise<number> {
  let proactor: Proactor | undefined;
  let jaws: JawsServer;
  try {
    proactor = new Proactor({ backend: options.backend });
    jaws = new JawsServer({
      root: options.root,
      limits: options.limits,
      accessLog: options.accessLog ? (line) => process.stdout.write(`${line}\n`) : undefined,
    });
    jaws.open(new InetAddr(options.port, options.host), proactor);
  } catch (e) {
    process.stderr.write(`${NAME}: ${(e as Error).message}\n`);
    await proactor?.close();
    return 1;
  }
  const signals = firstSignal(NAME);
  const loop = proactor.proactorRunEventLoop(options.dispatch === 'call-through' ? 'call-through' : 'post-reactive');
  announce(jaws.getLocalAddr(), proactor.backend, options);
  const signal = await signals.received;
  process.stdout.write(`${NAME}: ${signal} received, finishing the responses in flight\n`);
  const summary = await jaws.shutDown(GRACE_MS);
  proactor.proactorEndEventLoop();
  await loop;
  await proactor.close();
  signals.dispose();
  return report(summary);
}

async function serveOnPool(options: JawsCommandLine): Promise<number> {
  const threadOptions: JawsThreadOptions = {
    root: options.root,
    limits: options.limits,
    accessLog: options.accessLog,
    graceMs: GRACE_MS,
    // Each thread sees its share of a spike.
    releaseMinDrop: Math.ceil(RELEASE_MIN_DROP / options.threads),
  };
  const pool = new ProactorPool<JawsStats & { leftOpen: number }>({
    threads: options.threads,
    address: new InetAddr(options.port, options.host),
    proactor: { backend: options.backend },
    threadModule: join(__dirname, 'PoolThread.js'),
    threadExport: 'openJawsThread',
    threadOptions,
  });
  return serveOnPoolUntilSignal(
    NAME,
    pool,
    (address) => announce(address, pool.threadInfo()[0].backend, options),
    'received, finishing the responses in flight',
    (threads) => {
      const total = { ...threads[0] } as Summary;
      for (const t of threads.slice(1)) for (const key of Object.keys(total) as (keyof Summary)[]) if (key !== ('thread' as string)) total[key] += t[key];
      return report(total);
    },
  );
}

/** Runs JAWS; resolves with the exit code. */
export function main(argv: string[]): Promise<number> {
  return serveFromCommandLine(argv, parseJawsFlags, serveOnPool, serveOnThisThread);
}

if (require.main === module) runAsMain(NAME, main);
