import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type HandOffInboxData } from '../common/HandOffInbox';
import { InetAddr } from '../common/InetAddr';
import { ProactorError, type ProactorErrorKind } from '../common/ProactorError';
import { PoolHandOff } from './PoolHandOff';
import { type Proactor } from './Proactor';
import { type ProactorOptions } from './ProactorOptions';

/** Counts a thread reports when it stops; every service counts at least its connections. */
export interface PoolThreadCounts {
  /** Connections the thread accepted. */
  accepted: number;
}

/** One thread's counts, with the thread's index. */
export type PoolThreadSummary<C extends PoolThreadCounts = PoolThreadCounts> = C & {
  /** The thread's index, 0 … threads − 1. */
  thread: number;
};

/** What a thread module's opener is given, in its own thread. */
export interface PoolThreadContext<O = unknown> {
  /** 0 … threads − 1. */
  thread: number;
  /**
   * Where to listen, with reusePort. Sharing the port ('reuseport'): thread
   * 0 may get port 0, the others get the port it chose. Handed its
   * connections ('hand-off'): every thread gets the pool's port, and a
   * listening socket opened there with reusePort takes what the pool hands
   * this thread.
   */
  address: InetAddr;
  /** listen() backlog. */
  backlog: number;
  /** The pool's threadOptions, structured-cloned into this thread. */
  options: O;
  /** This thread's Proactor (also its Proactor.instance()); the worker closes it after stop(). */
  proactor: Proactor;
}

/** A service one thread opened. */
export interface PoolThreadService<C extends PoolThreadCounts = PoolThreadCounts> {
  /** The port it listens on. */
  port: number;
  /** What else the owner of the pool may want to know (a reactor's backend, …). */
  details?: Record<string, string>;
  /**
   * The thread's dispatch loop, for a service that needs more than its
   * Proactor's call-through loop (another dispatcher alongside, say). It must
   * end once proactor.proactorEventLoopDone() holds: the worker calls
   * proactorEndEventLoop() when stop() has settled, and not before.
   * Default: proactor.proactorRunEventLoop('call-through').
   */
  run?(): Promise<void>;
  /** Stops accepting and winds the service down while the loop still runs; settles with its counts. */
  stop(): Promise<C>;
}

/**
 * What a thread module exports: opens one thread's service. A throw (or a
 * rejection) fails pool.start(); it should leave nothing open behind it.
 */
export type PoolThreadOpener<O = unknown, C extends PoolThreadCounts = PoolThreadCounts> = (
  context: PoolThreadContext<O>,
) => PoolThreadService<C> | Promise<PoolThreadService<C>>;

/** What a thread said when it began listening. */
export interface PoolThreadInfo {
  /** The thread's index, 0 … threads − 1. */
  thread: number;
  /** The port it listens on. */
  port: number;
  /** Its Proactor's backend. */
  backend: string;
  /** What its service reported besides (PoolThreadService.details). */
  details: Record<string, string>;
}

/**
 * How connections reach the threads. 'reuseport': each thread listens on
 * the port, shared through SO_REUSEPORT, and the kernel spreads
 * connections over them (Linux). 'hand-off': an acceptor thread of the
 * pool accepts every connection on a Proactor of its own and hands each to
 * the threads in turn (Windows, which has no SO_REUSEPORT; a socket there
 * belongs to one completion port, and the thread it goes to associates it
 * with its own). docs/design.md §5a.
 */
export type PoolAcceptStrategy = 'reuseport' | 'hand-off';

/** What every pool takes, whatever its threads serve. */
export interface PoolCommonOptions {
  /** Worker threads, each with its own Proactor; default 2. */
  threads?: number;
  /** Where to listen; port 0 lets the first thread choose, the others share it. */
  address: InetAddr;
  /** Backend options for each thread's Proactor. */
  proactor?: ProactorOptions;
  /** listen() backlog of each listening socket; default 511. */
  backlog?: number;
  /** How connections reach the threads; default 'hand-off' on win32, 'reuseport' elsewhere. */
  accept?: PoolAcceptStrategy;
}

/** A ServiceHandler class exported by a module, behind one AsynchAcceptor per thread. */
export interface PoolServiceOptions {
  /** Absolute path of the module that exports the ServiceHandler class. */
  serviceModule: string;
  /** The export's name; default 'default'. */
  serviceExport?: string;
  /** Passed to the service's constructor (structured-cloned to each thread). */
  serviceArgs?: unknown[];
}

/** A thread module: a module exporting a PoolThreadOpener, which opens whatever the thread serves. */
export interface PoolThreadModuleOptions {
  /** Absolute path of the compiled module (worker threads load JavaScript). */
  threadModule: string;
  /** The opener's export name; default 'default'. */
  threadExport?: string;
  /** Given to each opener as context.options (structured-cloned). */
  threadOptions?: unknown;
}

/** What a pool runs: a ServiceHandler class, or a thread module. */
export type ProactorPoolOptions = PoolCommonOptions & (PoolServiceOptions | PoolThreadModuleOptions);

/** Messages from a thread to the pool. */
export type PoolWorkerMessage =
  | { kind: 'listening'; port: number; backend: string; details: Record<string, string>; handedOver: boolean }
  | { kind: 'stopped'; counts: PoolThreadCounts }
  | { kind: 'failed'; message: string; /** The ProactorError kind the thread threw, if it threw one. */ errorKind?: ProactorErrorKind };

/** What the pool hands each worker thread. */
export interface PoolWorkerData {
  thread: number;
  host: string;
  port: number;
  backlog: number;
  proactor: ProactorOptions;
  threadModule: string;
  threadExport: string;
  threadOptions: unknown;
  /** Element 0 turns 1 when the pool stops. */
  stopFlag: Int32Array;
  /** With 'hand-off': where the thread's connections arrive. */
  handOff?: HandOffInboxData;
}

/** One worker and what it has said. */
interface PoolThread {
  worker: Worker;
  exited: Promise<void>;
  info?: PoolThreadInfo;
  counts?: PoolThreadCounts;
  failure?: string;
}

/**
 * The paper's thread-pool Completion Dispatcher: N worker threads, each
 * with its own ring (or completion port) and a Proactor dispatched
 * call-through on that thread. On Linux they listen on one port shared
 * through SO_REUSEPORT, so the kernel spreads connections over them; on
 * Windows an acceptor thread of the pool accepts and hands the
 * connections to the threads in turn (PoolAcceptStrategy), and the same
 * thread code runs on both. What a thread serves comes from a thread module
 * (any service, with its own dispatch loop if it needs one) or, the common
 * case, a ServiceHandler class behind an AsynchAcceptor. The pool stops its
 * threads through a shared flag each thread's Proactor looks at on a timer,
 * so no thread needs any other wakeup.
 *
 * @example
 * const pool = new ProactorPool({ threads: 2, address: new InetAddr(8080), serviceModule: require.resolve('./Echo'), serviceExport: 'Echo' });
 * const addr = await pool.start();
 * …
 * await pool.stop();
 */
export class ProactorPool<C extends PoolThreadCounts = PoolThreadCounts> {
  private readonly threads_: PoolThread[] = [];
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private address: InetAddr | undefined;
  /** With 'hand-off': the acceptor thread and each thread's way in. */
  private handOff: PoolHandOff | undefined;

  constructor(private readonly options: ProactorPoolOptions) {
    const threads = options.threads ?? 2;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new ProactorError('invalid-argument', `ProactorPool: threads must be a whole number ≥ 1, got ${threads}`);
    }
    if (options.accept !== undefined && options.accept !== 'reuseport' && options.accept !== 'hand-off') {
      throw new ProactorError('invalid-argument', `ProactorPool: accept must be 'reuseport' or 'hand-off', got '${String(options.accept)}'`);
    }
  }

  /** How connections reach this pool's threads. */
  acceptStrategy(): PoolAcceptStrategy {
    return this.options.accept ?? (process.platform === 'win32' ? 'hand-off' : 'reuseport');
  }

  /**
   * Starts the threads one after the other (sharing the port, the first
   * may choose it; handing connections over, the acceptor thread starts
   * first and does); settles with the pool's address. If one fails, those
   * already started are stopped before the Promise rejects.
   */
  async start(): Promise<InetAddr> {
    if (this.threads_.length > 0) throw new ProactorError('invalid-argument', 'ProactorPool is already started');
    Atomics.store(this.stopFlag, 0, 0);
    const threads = this.options.threads ?? 2;
    let port = this.options.address.port;
    try {
      if (this.acceptStrategy() === 'hand-off') {
        this.handOff = new PoolHandOff(threads);
        port = (await this.handOff.open(this.options.address, this.options.backlog ?? 511, this.options.proactor ?? {})).port;
      }
      for (let thread = 0; thread < threads; thread++) {
        const info = await this.spawn(thread, port);
        // Sharing the port, the first thread's is the pool's (it may have chosen it).
        if (thread === 0 && !this.handOff) port = info.port;
      }
    } catch (e) {
      await this.stop().catch(() => undefined);
      throw e;
    }
    this.address = new InetAddr(port, this.options.address.host);
    return this.address;
  }

  /** Where the pool listens (after start()). */
  localAddress(): InetAddr | undefined {
    return this.address;
  }

  /** What each running thread said when it began listening. */
  threadInfo(): PoolThreadInfo[] {
    return this.threads_.flatMap((t) => (t.info ? [t.info] : []));
  }

  /**
   * Asks every thread to stop its service, close its Proactor and exit;
   * settles with their counts once all have exited. Rejects, naming them,
   * if any thread failed instead.
   */
  async stop(): Promise<PoolThreadSummary<C>[]> {
    const handOff = this.handOff;
    this.handOff = undefined;
    // No more connections for the threads while they wind down.
    await handOff?.stopAccepting();
    Atomics.store(this.stopFlag, 0, 1);
    const threads = this.threads_.splice(0);
    await Promise.all(threads.map((t) => t.exited));
    await handOff?.close();
    this.address = undefined;
    const failed = threads.flatMap((t, i) => (t.counts ? [] : [`thread ${i}: ${t.failure ?? 'exited without reporting'}`]));
    if (failed.length > 0) throw new ProactorError('system', `ProactorPool: ${failed.join('; ')}`);
    return threads.map((t, thread) => ({ ...(t.counts as C), thread }));
  }

  /** Starts one thread; settles when it listens, rejects if it fails or exits first. */
  private spawn(thread: number, port: number): Promise<PoolThreadInfo> {
    const workerData: PoolWorkerData = {
      thread,
      host: this.options.address.host,
      port,
      backlog: this.options.backlog ?? 511,
      proactor: this.options.proactor ?? {},
      ...this.threadModule(),
      stopFlag: this.stopFlag,
      handOff: this.handOff?.inbox(thread, new InetAddr(port, this.options.address.host)),
    };
    const handOff = this.handOff;
    const worker = new Worker(join(__dirname, 'poolWorker.js'), { workerData });
    // A thread that has ended takes nothing more: what it left in its ring is closed.
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve(handOff?.ended(thread))));
    const t: PoolThread = { worker, exited };
    this.threads_.push(t);
    return new Promise((resolve, reject) => {
      const fail = (message: string, kind: ProactorErrorKind = 'system') => {
        t.failure ??= message;
        reject(new ProactorError(kind, `ProactorPool thread ${thread}: ${message}`));
      };
      worker.on('message', (m: PoolWorkerMessage) => {
        if (m.kind === 'listening') {
          t.info = { thread, port: m.port, backend: m.backend, details: m.details };
          if (m.handedOver) handOff?.takes(thread);
          resolve(t.info);
        } else if (m.kind === 'stopped') {
          t.counts = m.counts;
        } else {
          fail(m.message, m.errorKind);
        }
      });
      worker.once('error', (e) => fail(e.message));
      void t.exited.then(() => {
        if (!t.info) fail('exited before listening');
      });
    });
  }

  /** The thread module to run; the ServiceHandler form is one such module. */
  private threadModule(): Pick<PoolWorkerData, 'threadModule' | 'threadExport' | 'threadOptions'> {
    const o = this.options;
    if ('threadModule' in o) return { threadModule: o.threadModule, threadExport: o.threadExport ?? 'default', threadOptions: o.threadOptions };
    return {
      threadModule: join(__dirname, 'poolServiceThread.js'),
      threadExport: 'openServiceThread',
      threadOptions: { serviceModule: o.serviceModule, serviceExport: o.serviceExport ?? 'default', serviceArgs: o.serviceArgs ?? [] },
    };
  }
}
