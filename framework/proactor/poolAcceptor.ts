/**
 * The acceptor thread of a ProactorPool that hands connections over
 * (PoolHandOff): an AsynchAcceptor on this thread's own Proactor,
 * dispatched call-through, accepts every connection on the pool's address
 * and gives each to the next thread that takes connections: its handle into
 * that thread's HandOffRing, one byte down its doorbell. The handle is
 * never used here, so on Windows it is associated with no completion port
 * until the thread it goes to associates it with its own. A 50 ms timer
 * looks at what the pool has set in shared memory: threads that now take
 * connections or have ended (what an ended thread never took is closed
 * here, the only thread that puts into its ring), and the stage — stop
 * accepting, then finish once every thread has ended.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { INVALID_HANDLE, type Handle } from '../common/Handle';
import { HandOffRing } from '../common/HandOffRing';
import { InetAddr } from '../common/InetAddr';
import { debug } from '../common/debug';
import { errnoName } from '../common/errno';
import { loadNative } from '../native/loadNative';
import { AsynchAcceptor } from './AsynchAcceptor';
import { Handler } from './Handler';
import {
  type PoolHandOffData, type PoolHandOffMessage, STAGE_ACCEPTING, STAGE_FINISHING, THREAD_ENDED, THREAD_TAKES,
} from './PoolHandOff';
import { Proactor } from './Proactor';
import { ServiceHandler } from './ServiceHandler';
import { closeConnection } from './handOffConnection';

const WATCH_MS = 50;
/** The byte each connection rings. */
const BELL = Buffer.from([1]);

function post(m: PoolHandOffMessage): void {
  parentPort!.postMessage(m);
}

/** One thread's way in, as this thread sees it. */
interface Outlet {
  ring: HandOffRing;
  bell: Handle;
  /** Its doorbell failed: it is handed nothing more. */
  refused: boolean;
}

/** Hands connections to the threads in turn, and cleans up after those that have ended. */
class Dispatcher extends Handler {
  private next = 0;
  private readonly acceptor = new AsynchAcceptor<HandOver>();
  private acceptorClosed: Promise<void> | undefined;

  constructor(
    proactor: Proactor,
    private readonly data: PoolHandOffData,
    private readonly outlets: Outlet[],
  ) {
    super(proactor);
  }

  /** Listens and accepts; returns the port. */
  open(): number {
    const { host, port, backlog } = this.data;
    this.acceptor.open(new InetAddr(port, host), { proactor: this.proactor()!, backlog, makeHandler: () => new HandOver(this) });
    this.proactor()!.scheduleTimer(this, undefined, WATCH_MS, WATCH_MS);
    return this.acceptor.getLocalAddr().port;
  }

  /** Gives handle to the next thread that takes connections; closes it if none can. */
  handOver(handle: Handle): void {
    const n = this.outlets.length;
    for (let i = 0; i < n; i++) {
      const thread = (this.next + i) % n;
      const outlet = this.outlets[thread];
      if (outlet.refused || Atomics.load(this.data.threads, thread) !== THREAD_TAKES || !outlet.ring.put(handle)) continue;
      const rc = loadNative().socket.sendNow(outlet.bell, BELL, 0, 1);
      if (rc === 1) {
        this.next = (thread + 1) % n;
        return;
      }
      // Its doorbell is closed or full: it is handed no more; what it holds is closed when it ends.
      debug(`ProactorPool acceptor: thread ${thread}'s doorbell: ${rc < 0 ? errnoName(-rc) : 'nothing sent'}; handing it no more`);
      outlet.refused = true;
      outlet.ring.withdraw();
    }
    debug(`ProactorPool acceptor: no thread takes connections; closing ${handle}`);
    closeConnection(this.proactor()!, handle);
  }

  override handleTimeOut(): void {
    const proactor = this.proactor()!;
    // Read first: the pool marks every thread ended before it asks to finish.
    const stage = Atomics.load(this.data.stage, 0);
    this.closeEnded();
    if (stage !== STAGE_ACCEPTING && !this.acceptorClosed) {
      this.acceptorClosed = this.acceptor.close().finally(() => post({ kind: 'not-accepting' }));
    }
    if (stage === STAGE_FINISHING && this.acceptorClosed) {
      proactor.cancelTimer(this);
      void this.acceptorClosed.finally(() => proactor.proactorEndEventLoop());
    }
  }

  /** Closes what ended threads never took, and this end of their doorbells. */
  closeEnded(): void {
    this.outlets.forEach((outlet, thread) => {
      if (outlet.bell === INVALID_HANDLE || Atomics.load(this.data.threads, thread) !== THREAD_ENDED) return;
      const left = outlet.ring.drain();
      if (left.length > 0) debug(`ProactorPool acceptor: thread ${thread} ended with ${left.length} connections untaken; closing them`);
      for (const handle of left) closeConnection(this.proactor()!, handle);
      loadNative().socket.close(outlet.bell);
      outlet.bell = INVALID_HANDLE;
    });
  }
}

/** The acceptor's "service handler": it serves nobody, it passes its handle on (handOffConnection closes it if open() throws). */
class HandOver extends ServiceHandler {
  constructor(private readonly dispatcher: Dispatcher) {
    super();
  }

  override open(handle: Handle): void {
    this.handle(INVALID_HANDLE);
    this.dispatcher.handOver(handle);
  }
}

async function run(data: PoolHandOffData): Promise<void> {
  const outlets: Outlet[] = data.outlets.map((o) => ({ ring: HandOffRing.attach(o.ring), bell: o.bell, refused: false }));
  try {
    const proactor = new Proactor(data.proactor);
    const dispatcher = new Dispatcher(proactor, data, outlets);
    try {
      post({ kind: 'listening', port: dispatcher.open() });
      await proactor.proactorRunEventLoop('call-through');
    } finally {
      await proactor.close();
    }
  } finally {
    // Every thread has ended by now, unless this thread failed: then what is
    // in a ring may still be taken, and only the doorbells are closed (the
    // pool closes what is left in the rings once every thread has ended).
    for (const o of outlets) if (o.bell !== INVALID_HANDLE) loadNative().socket.close(o.bell);
  }
}

run(workerData as PoolHandOffData).catch((e: unknown) => {
  post({ kind: 'failed', message: e instanceof Error ? e.message : String(e) });
});
