import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { InetAddr } from '../common/InetAddr';
import { ProactorError } from '../common/ProactorError';
import { type ProactorOptions } from './ProactorOptions';

/** What a pool runs: a ServiceHandler class exported by a module, one acceptor per thread. */
export interface ProactorPoolOptions {
  /** Worker threads, each with its own call-through Proactor; default 2. */
  threads?: number;
  /** Where to listen; port 0 lets the first thread choose, the others share it. */
  address: InetAddr;
  /** Absolute path of the module that exports the ServiceHandler class. */
  serviceModule: string;
  /** The export's name; default 'default'. */
  serviceExport?: string;
  /** Passed to the service's constructor (structured-cloned to each thread). */
  serviceArgs?: unknown[];
  /** Backend options for each thread's Proactor. */
  proactor?: ProactorOptions;
  /** listen() backlog of each thread's socket; default 511. */
  backlog?: number;
}

/** Counts one thread reports when it stops. */
export interface PoolThreadSummary {
  thread: number;
  accepted: number;
}

/** Messages between the pool and its threads. */
export type PoolWorkerMessage =
  | { kind: 'listening'; port: number }
  | { kind: 'stopped'; summary: PoolThreadSummary }
  | { kind: 'failed'; message: string };

/**
 * The paper's thread-pool Completion Dispatcher: N worker threads, each
 * with its own ring and a call-through Proactor, accepting on one port
 * shared through SO_REUSEPORT, so the kernel spreads connections over them.
 *
 * @example
 * const pool = new ProactorPool({ threads: 2, address: new InetAddr(8080), serviceModule: require.resolve('./Echo'), serviceExport: 'Echo' });
 * const addr = await pool.start();
 * …
 * await pool.stop();
 */
export class ProactorPool {
  private readonly workers: Worker[] = [];
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private address: InetAddr | undefined;

  constructor(private readonly options: ProactorPoolOptions) {
    const threads = options.threads ?? 2;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new ProactorError('invalid-argument', `ProactorPool: threads must be a whole number ≥ 1, got ${threads}`);
    }
  }

  /** Starts the threads; settles with the address they all listen on. */
  async start(): Promise<InetAddr> {
    if (this.workers.length > 0) throw new ProactorError('invalid-argument', 'ProactorPool is already started');
    const threads = this.options.threads ?? 2;
    let port = this.options.address.port;
    for (let thread = 0; thread < threads; thread++) {
      port = await this.spawn(thread, port);
    }
    this.address = new InetAddr(port, this.options.address.host);
    return this.address;
  }

  /** Where the pool listens (after start()). */
  localAddress(): InetAddr | undefined {
    return this.address;
  }

  /** Asks every thread to stop accepting, close its proactor and exit. */
  async stop(): Promise<PoolThreadSummary[]> {
    Atomics.store(this.stopFlag, 0, 1);
    const summaries = await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<PoolThreadSummary | undefined>((resolve) => {
            let summary: PoolThreadSummary | undefined;
            worker.on('message', (m: PoolWorkerMessage) => {
              if (m.kind === 'stopped') summary = m.summary;
            });
            worker.once('exit', () => resolve(summary));
          }),
      ),
    );
    this.workers.length = 0;
    return summaries.filter((s): s is PoolThreadSummary => s !== undefined);
  }

  private spawn(thread: number, port: number): Promise<number> {
    const worker = new Worker(join(__dirname, 'poolWorker.js'), {
      workerData: {
        thread,
        host: this.options.address.host,
        port,
        serviceModule: this.options.serviceModule,
        serviceExport: this.options.serviceExport ?? 'default',
        serviceArgs: this.options.serviceArgs ?? [],
        proactor: this.options.proactor ?? {},
        backlog: this.options.backlog ?? 511,
        stopFlag: this.stopFlag,
      },
    });
    this.workers.push(worker);
    return new Promise((resolve, reject) => {
      const onMessage = (m: PoolWorkerMessage) => {
        if (m.kind === 'listening') {
          worker.off('message', onMessage);
          resolve(m.port);
        } else if (m.kind === 'failed') {
          reject(new ProactorError('system', `ProactorPool thread ${thread}: ${m.message}`));
        }
      };
      worker.on('message', onMessage);
      worker.once('error', (e) => reject(e));
    });
  }
}
