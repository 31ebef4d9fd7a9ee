/**
 * One thread of a ProactorPool: a call-through Proactor with its own
 * AsynchAcceptor on the pool's shared port. A 50 ms timer on the proactor
 * itself watches the pool's stop flag, so the thread needs no other wakeup.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InetAddr } from '../common/InetAddr';
import { AsynchAcceptor } from './AsynchAcceptor';
import { Handler } from './Handler';
import { Proactor } from './Proactor';
import { type PoolWorkerMessage } from './ProactorPool';
import { type ServiceHandler } from './ServiceHandler';

interface PoolWorkerData {
  thread: number;
  host: string;
  port: number;
  serviceModule: string;
  serviceExport: string;
  serviceArgs: unknown[];
  proactor: Record<string, unknown>;
  backlog: number;
  stopFlag: Int32Array;
}

const STOP_POLL_MS = 50;

async function run(data: PoolWorkerData): Promise<void> {
  const post = (m: PoolWorkerMessage) => parentPort!.postMessage(m);
  const Service = (require(data.serviceModule) as Record<string, new (...args: unknown[]) => ServiceHandler>)[data.serviceExport];
  if (typeof Service !== 'function') throw new Error(`${data.serviceModule} has no class export '${data.serviceExport}'`);
  const proactor = new Proactor(data.proactor);
  Proactor.instance(proactor);
  let accepted = 0;
  const acceptor = new AsynchAcceptor<ServiceHandler>();
  acceptor.open(new InetAddr(data.port, data.host), {
    proactor,
    reusePort: true,
    backlog: data.backlog,
    makeHandler: () => {
      accepted++;
      return new Service(...data.serviceArgs);
    },
  });
  const watcher = new (class extends Handler {
    override handleTimeOut() {
      if (Atomics.load(data.stopFlag, 0) === 0) return;
      proactor.cancelTimer(this);
      void acceptor.close().finally(() => proactor.proactorEndEventLoop());
    }
  })(proactor);
  proactor.scheduleTimer(watcher, undefined, STOP_POLL_MS, STOP_POLL_MS);
  post({ kind: 'listening', port: acceptor.getLocalAddr().port });
  await proactor.proactorRunEventLoop('call-through');
  await proactor.close();
  post({ kind: 'stopped', summary: { thread: data.thread, accepted } });
}

run(workerData as PoolWorkerData).catch((e: unknown) => {
  parentPort!.postMessage({ kind: 'failed', message: e instanceof Error ? e.message : String(e) } satisfies PoolWorkerMessage);
});
