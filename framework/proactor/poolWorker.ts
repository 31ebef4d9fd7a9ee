/**
 * One thread of a ProactorPool: makes the thread's Proactor, lets the thread
 * module open its service on it, and runs the service's dispatch loop until
 * the pool's stop flag turns. A 50 ms timer on the Proactor itself watches
 * the flag, so the thread needs no other wakeup; when it turns, the service
 * stops (still dispatching meanwhile), the loop ends, the Proactor closes and
 * the service's counts go back to the pool. A pool that hands connections
 * over gives the thread a HandOffInbox, which the service's listening
 * socket on the pool's address takes; one it did not take is closed as the
 * thread ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HandOffInbox } from '../common/HandOffInbox';
import { ProactorError } from '../common/ProactorError';
import { InetAddr } from '../common/InetAddr';
import { Handler } from './Handler';
import { Proactor } from './Proactor';
import { type PoolThreadCounts, type PoolThreadOpener, type PoolWorkerData, type PoolWorkerMessage } from './ProactorPool';

const STOP_POLL_MS = 50;

function post(m: PoolWorkerMessage): void {
  parentPort!.postMessage(m);
}

function opener(data: PoolWorkerData): PoolThreadOpener {
  const open = (require(data.threadModule) as Record<string, unknown>)[data.threadExport];
  if (typeof open !== 'function') throw new ProactorError('invalid-argument', `${data.threadModule} has no function export '${data.threadExport}'`);
  return open as PoolThreadOpener;
}

/** Calls stop() once the pool's flag turns; the Promise it keeps settles with the counts. */
class StopWatcher extends Handler {
  stopping: Promise<PoolThreadCounts> | undefined;

  constructor(
    proactor: Proactor,
    private readonly flag: Int32Array,
    private readonly stop: () => Promise<PoolThreadCounts>,
  ) {
    super(proactor);
    proactor.scheduleTimer(this, undefined, STOP_POLL_MS, STOP_POLL_MS);
  }

  override handleTimeOut(): void {
    if (Atomics.load(this.flag, 0) === 0) return;
    const proactor = this.proactor()!;
    proactor.cancelTimer(this);
    this.stopping = this.stop().finally(() => proactor.proactorEndEventLoop());
    // Awaited once the loop has ended; until then a rejection is not "unhandled".
    this.stopping.catch(() => undefined);
  }
}

async function run(data: PoolWorkerData): Promise<void> {
  const inbox = data.handOff ? HandOffInbox.install(data.handOff) : undefined;
  try {
    await serve(data, inbox);
  } finally {
    HandOffInbox.uninstall();
  }
}

async function serve(data: PoolWorkerData, inbox: HandOffInbox | undefined): Promise<void> {
  const open = opener(data);
  const proactor = new Proactor(data.proactor);
  Proactor.instance(proactor);
  let counts: PoolThreadCounts;
  try {
    const service = await open({
      thread: data.thread,
      address: new InetAddr(data.port, data.host),
      backlog: data.backlog,
      options: data.threadOptions,
      proactor,
    });
    const watcher = new StopWatcher(proactor, data.stopFlag, () => service.stop());
    post({ kind: 'listening', port: service.port, backend: proactor.backend, details: service.details ?? {}, handedOver: inbox?.isClaimed() ?? false });
    await (service.run ? service.run() : proactor.proactorRunEventLoop('call-through'));
    if (!watcher.stopping) throw new Error('its dispatch loop ended before the pool stopped it');
    counts = await watcher.stopping;
  } finally {
    await proactor.close();
  }
  post({ kind: 'stopped', counts });
}

run(workerData as PoolWorkerData).catch((e: unknown) => {
  post({ kind: 'failed', message: e instanceof Error ? e.message : String(e), errorKind: ProactorError.is(e) ? e.kind : undefined });
});
