import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { INVALID_HANDLE, type Handle } from '../common/Handle';
import { type HandOffInboxData } from '../common/HandOffInbox';
import { HandOffRing } from '../common/HandOffRing';
import { InetAddr } from '../common/InetAddr';
import { ProactorError } from '../common/ProactorError';
import { debug } from '../common/debug';
import { errnoName } from '../common/errno';
import { loadNative } from '../native/loadNative';
import { type ProactorOptions } from './ProactorOptions';

/** A thread's state in PoolHandOffData.threads: its service has not opened the pool's address yet. */
export const THREAD_WAITING = 0;
/** Its service listens on the pool's address: it takes connections. */
export const THREAD_TAKES = 1;
/** It has ended: what is left in its ring is to be closed. */
export const THREAD_ENDED = 2;

/** PoolHandOffData.stage: accepting, then not accepting, then finishing (every thread has ended). */
export const STAGE_ACCEPTING = 0;
export const STAGE_NOT_ACCEPTING = 1;
export const STAGE_FINISHING = 2;

/** What the acceptor thread is given. */
export interface PoolHandOffData {
  host: string;
  port: number;
  backlog: number;
  proactor: ProactorOptions;
  /** Per thread: the ring's memory and the pool's end of the doorbell. */
  outlets: { ring: SharedArrayBuffer; bell: Handle }[];
  /** Per thread: THREAD_WAITING, THREAD_TAKES or THREAD_ENDED, set by the pool. */
  threads: Int32Array;
  /** Element 0: STAGE_ACCEPTING, STAGE_NOT_ACCEPTING or STAGE_FINISHING, set by the pool. */
  stage: Int32Array;
}

/** Messages from the acceptor thread. */
export type PoolHandOffMessage =
  | { kind: 'listening'; port: number }
  | { kind: 'not-accepting' }
  | { kind: 'failed'; message: string };

/** One thread's doorbell pair and ring, until the thread and the acceptor have them. */
interface Outlet {
  ring: HandOffRing;
  bell: Handle;
  doorbell: Handle;
}

/**
 * The hand-off of a ProactorPool that hands connections over (where the
 * platform cannot spread one port over threads by SO_REUSEPORT: Windows),
 * on the pool's side: it makes each thread's HandOffRing and doorbell pair
 * and runs the acceptor thread (poolAcceptor), which accepts every
 * connection on its own Proactor and hands each to the next thread that
 * takes connections. The pool tells it, through shared memory, which
 * threads take connections and which have ended.
 */
export class PoolHandOff {
  private readonly outlets: Outlet[] = [];
  private readonly threads: Int32Array;
  private readonly stage = new Int32Array(new SharedArrayBuffer(4));
  private acceptor: Worker | undefined;
  private exited: Promise<void> = Promise.resolve();
  private notAccepting: Promise<void> = Promise.resolve();
  private failure: string | undefined;

  constructor(threadCount: number) {
    this.threads = new Int32Array(new SharedArrayBuffer(4 * threadCount));
    const socket = loadNative().socket;
    try {
      for (let thread = 0; thread < threadCount; thread++) {
        const pair = socket.pair();
        if (typeof pair === 'number') throw ProactorError.fromErrno(pair, "ProactorPool: socketpair (a thread's doorbell)");
        this.outlets.push({ ring: HandOffRing.create(), bell: pair[0], doorbell: pair[1] });
        // Where the pair is a loopback TCP connection (Windows), each byte goes at once, not held back by
        // Nagle's algorithm for the last one's ACK; a Unix pair has no such option and needs none.
        socket.setOption(pair[0], socket.constants.IPPROTO_TCP, socket.constants.TCP_NODELAY, 1);
      }
    } catch (e) {
      for (const o of this.outlets) {
        socket.close(o.bell);
        socket.close(o.doorbell);
      }
      throw e;
    }
  }

  /**
   * Starts the acceptor thread listening on address; settles with the
   * address (the port chosen). A failure rejects, having closed every
   * doorbell: the pool then starts no thread.
   */
  async open(address: InetAddr, backlog: number, proactor: ProactorOptions): Promise<InetAddr> {
    const workerData: PoolHandOffData = {
      host: address.host,
      port: address.port,
      backlog,
      proactor,
      outlets: this.outlets.map((o) => ({ ring: o.ring.memory, bell: o.bell })),
      threads: this.threads,
      stage: this.stage,
    };
    const worker = new Worker(join(__dirname, 'poolAcceptor.js'), { workerData });
    this.acceptor = worker;
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    let noLongerAccepting: () => void = () => undefined;
    this.notAccepting = new Promise<void>((resolve) => (noLongerAccepting = resolve));
    void this.exited.then(() => noLongerAccepting());
    let listening = false;
    const port = await new Promise<number>((resolve, reject) => {
      const fail = (message: string) => {
        this.failure ??= message;
        reject(new ProactorError('system', `ProactorPool acceptor: ${message}`));
      };
      worker.on('message', (m: PoolHandOffMessage) => {
        if (m.kind === 'listening') {
          listening = true;
          resolve(m.port);
        } else if (m.kind === 'not-accepting') {
          noLongerAccepting();
        } else {
          fail(m.message);
        }
      });
      worker.once('error', (e) => fail(e.message));
      void this.exited.then(() => {
        if (!listening) fail('exited before listening');
      });
    }).catch(async (e: unknown) => {
      // Its doorbell ends are the acceptor's, closed as it ended; the threads' ends are still here.
      await this.exited;
      this.closeDoorbells();
      throw e;
    });
    return new InetAddr(port, address.host);
  }

  /** What thread is given to install its HandOffInbox (the thread's end of its doorbell is now its own). */
  inbox(thread: number, address: InetAddr): HandOffInboxData {
    const o = this.outlets[thread];
    const data = { host: address.host, port: address.port, doorbell: o.doorbell, ring: o.ring.memory };
    o.doorbell = INVALID_HANDLE;
    return data;
  }

  /** thread listens on its doorbell: hand it connections from now on. */
  takes(thread: number): void {
    Atomics.compareExchange(this.threads, thread, THREAD_WAITING, THREAD_TAKES);
  }

  /** thread has ended: the acceptor closes what it never took. */
  ended(thread: number): void {
    Atomics.store(this.threads, thread, THREAD_ENDED);
  }

  /** Stops accepting; settles once the listening socket is closed (connections handed over stay with their threads). */
  stopAccepting(): Promise<void> {
    Atomics.store(this.stage, 0, STAGE_NOT_ACCEPTING);
    return this.notAccepting;
  }

  /**
   * Every thread has ended (or never started): the acceptor closes what is
   * left in their rings and its doorbell ends, then exits. Rejects if it
   * failed.
   */
  async close(): Promise<void> {
    for (let thread = 0; thread < this.threads.length; thread++) this.ended(thread);
    this.closeDoorbells();
    Atomics.store(this.stage, 0, STAGE_FINISHING);
    await this.exited;
    this.closeUntaken();
    if (this.failure !== undefined) throw new ProactorError('system', `ProactorPool acceptor: ${this.failure}`);
  }

  /**
   * What is still in a ring once the acceptor thread has exited and every
   * thread has ended: nobody can put or take any more, so it is closed
   * here. After a clean finish the acceptor has left nothing; after it
   * failed (or was ended without its clean-up) the connections handed to a
   * thread that never took them would otherwise stay open for good.
   */
  private closeUntaken(): void {
    for (const o of this.outlets) {
      for (const handle of o.ring.drain()) {
        const rc = loadNative().socket.close(handle);
        if (rc < 0) debug(`ProactorPool: close(${handle}) of a connection never taken: ${errnoName(-rc)}`);
      }
    }
  }

  /** The threads' ends of doorbells never given to a thread. */
  private closeDoorbells(): void {
    for (const o of this.outlets) {
      if (o.doorbell !== INVALID_HANDLE) loadNative().socket.close(o.doorbell);
      o.doorbell = INVALID_HANDLE;
    }
  }
}
