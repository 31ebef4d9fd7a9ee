import { type InetAddr } from '../../framework/common/InetAddr';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { canReleaseMemory, SpikeMemoryRelease } from '../../framework/common/MemoryRelease';
import { type SockAcceptorOptions } from '../../framework/common/SockAcceptor';
import { loadNative } from '../../framework/native/loadNative';
import { type BufferRing } from '../../framework/proactor/BufferRing';
import { type Proactor } from '../../framework/proactor/Proactor';
import { TimerWheel } from '../../framework/proactor/TimerWheel';
import { type AcceptedConnection } from '../../framework/reactor/NonBlockingAccept';
import { PassiveEventHandler } from '../../framework/reactor/PassiveEventHandler';
import { type Reactor } from '../../framework/reactor/Reactor';
import { DEFAULT_RELEASE_MEMORY_MS, describeRelease, RELEASE_MIN_DROP } from '../common/memoryRelease';
import { ServerEventHandler } from './ServerEventHandler';

/** What the server did, for its summary. */
export interface ServerStats {
  accepted: number;
  closed: number;
  lines: number;
  tooLong: number;
  /** Connections that ended in a read or write error (a reset, mostly). */
  failed: number;
  /** Connections closed by the idle or the line timeout. */
  timedOut: number;
}

/** How long a connection may wait; 0 turns a timeout off. */
export interface ServerTimeouts {
  /** No byte read or written for this long: the connection is closed. */
  idleMs: number;
  /** A line begun and not ended within this long: the connection is closed. */
  lineMs: number;
}

/** The server's timeouts unless told otherwise. */
export const DEFAULT_TIMEOUTS: ServerTimeouts = { idleMs: 60_000, lineMs: 10_000 };

/** What the server reports when it stops. */
export interface ServerSummary extends ServerStats {
  /** Connections open when it stopped accepting. */
  openAtShutdown: number;
  /** Connections still closing when the grace period ended (the Proactor's close cancels them). */
  leftOpen: number;
}


/** The connections' shared buffer ring (Acceptor.ring()): buffers, and bytes each. */
const RING_BUFFERS = 256;
const RING_BUFFER_SIZE = 4096;

/** Shutdown: how many connections close at once (Acceptor.closeAll). */
const CLOSE_WINDOW = 256;

/** Shutdown: how long no close may settle before closeAll starts CLOSE_WINDOW more. */
const CLOSE_STALL_MS = 250;

/** Shutdown: how long open connections get to close before the proactor cancels them. */
export const CLOSE_GRACE_MS = 5000;

/**
 * The example's acceptor, where the two patterns meet: a Reactor Event
 * Handler registered for ACCEPT_MASK on the listening socket. When
 * connections wait it accepts them (synchronously, without blocking),
 * makes a ServerEventHandler for each and opens it on the Proactor, which
 * runs all of that connection's I/O. It keeps the registry of open
 * connections, so it can close them all.
 */
export class Acceptor extends PassiveEventHandler {
  readonly stats: ServerStats = { accepted: 0, closed: 0, lines: 0, tooLong: 0, failed: 0, timedOut: 0 };
  private readonly handlers = new Set<ServerEventHandler>();
  private proactor_: Proactor | undefined;
  /** Every connection's idle and line deadlines, on one Proactor timer. */
  private wheel_: TimerWheel | undefined;
  /** Where the connections' reads land, on a backend with buffer rings (io_uring, epoll): see ring(). */
  private ring_: BufferRing | undefined;
  /** The proactor wheel_ and ring_ were made for (a ring lives as long as its proactor). */
  private servedBy: Proactor | undefined;
  /** shutDown() closed wheel_: a later open() makes another. */
  private wheelClosed = false;
  /** Starts every close closeAll has not started yet (the grace is over). */
  private closeRest: (() => void) | undefined;
  /** Gives the memory back after a spike of connections (absent: --release-memory 0, or a build without it). */
  private readonly release: SpikeMemoryRelease | undefined;

  constructor(
    readonly log: (line: string) => void = () => undefined,
    readonly timeouts: ServerTimeouts = DEFAULT_TIMEOUTS,
    releaseMemoryMs = DEFAULT_RELEASE_MEMORY_MS,
    /** How far below its peak the load must fall (one pool thread sees its share of a spike). */
    releaseMinDrop = RELEASE_MIN_DROP,
  ) {
    super();
    if (releaseMemoryMs > 0 && canReleaseMemory()) {
      this.release = new SpikeMemoryRelease(() => this.handlers.size, {
        quietMs: releaseMemoryMs,
        minDrop: releaseMinDrop,
        onRelease: (r, peak, load) => this.log(`memory released after a spike of ${peak} connections (${load} open): ${describeRelease(r)}`),
      });
    }
  }

  /** The connections' deadlines. */
  wheel(): TimerWheel {
    return this.wheel_!;
  }

  /**
   * Listens on address, registers with reactor; connections go to proactor.
   * options.reusePort lets several acceptors (one per thread) share the port,
   * or, on a ProactorPool thread handed its connections, takes those.
   */
  open(address: InetAddr, reactor: Reactor, proactor: Proactor, options: SockAcceptorOptions = {}): void {
    // Listening first: an open() that fails (already open, address in use)
    // leaves the proactor, the deadlines and the ring as they were.
    this.listen(address, reactor, options);
    // Accepts come from the reactor's next dispatch, after this returns.
    this.proactor_ = proactor;
    // The deadlines' wheel: a new one for another proactor, or after shutDown() closed it.
    if (this.wheel_ === undefined || this.wheelClosed || this.servedBy !== proactor) {
      // A deadline may expire up to a tick late: a tenth of the shorter timeout, within [10 ms, 1 s].
      const shortest = Math.min(...[this.timeouts.idleMs, this.timeouts.lineMs].filter((ms) => ms > 0), 10_000);
      this.wheel_ = new TimerWheel(proactor, Math.min(1000, Math.max(10, Math.floor(shortest / 10))));
      this.wheelClosed = false;
    }
    // The ring, once per proactor (a ring serves its own proactor's reads only).
    if (this.servedBy === proactor) return;
    this.servedBy = proactor;
    this.ring_ = undefined;
    if (proactor.implementation().supports('recvMultishot')) {
      try {
        this.ring_ = proactor.createBufferRing({ count: RING_BUFFERS, size: RING_BUFFER_SIZE });
      } catch (e) {
        // The kernel refused to register it: each connection reads into a block of its own.
        this.log(`no buffer ring (${(e as Error).message}); reading into a block per connection`);
      }
    }
  }

  /**
   * The buffer ring every connection reads from, where the Proactor's
   * backend has them (io_uring, epoll): 256 buffers of 4 KiB, which the backend
   * hands a read only when its data arrives, so an idle connection holds
   * none. Undefined elsewhere: each connection then reads into a small
   * block of its own.
   */
  ring(): BufferRing | undefined {
    return this.ring_;
  }

  /** Connections open now. */
  connections(): number {
    return this.handlers.size;
  }

  protected override resourceShortage(code: string): void {
    this.log(`accept: ${code}; pausing for a moment`);
  }

  /**
   * Closes every open connection, CLOSE_WINDOW at a time: the next starts
   * as one ends, and when none has ended for CLOSE_STALL_MS the window
   * widens by CLOSE_WINDOW, so closes that never settle hold up nothing
   * queued behind them. Settles when all are closed. Started all at once,
   * 19,000 closes kept 19,000 promise chains alive together, which V8's
   * young-generation collections copied and promoted: a third of the
   * shutdown's time.
   */
  closeAll(): Promise<void> {
    const queue = [...this.handlers];
    if (queue.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let next = 0;
      let settled = 0;
      let seen = 0;
      const startNext = (): void => {
        if (next === queue.length) return;
        void queue[next++].close().then(ended);
        // Every close has started: nothing is left to widen for.
        if (next === queue.length) {
          clearInterval(stall);
          this.closeRest = undefined;
        }
      };
      const ended = (): void => {
        if (++settled === queue.length) resolve();
        else startNext();
      };
      const widen = (count: number): void => {
        for (let i = 0; i < count && next < queue.length; i++) startNext();
      };
      const stall = setInterval(() => {
        if (settled === seen) widen(CLOSE_WINDOW);
        seen = settled;
      }, CLOSE_STALL_MS);
      this.closeRest = () => widen(queue.length);
      widen(CLOSE_WINDOW);
    });
  }

  /**
   * Stops accepting and closes every connection, giving them graceMs; both
   * event loops must keep running meanwhile, for the closes to complete.
   * When the grace ends every connection has been asked to close; those
   * still closing are left to the Proactor's close, which cancels them.
   */
  async shutDown(graceMs = CLOSE_GRACE_MS): Promise<ServerSummary> {
    // No collection while the connections drain.
    this.release?.close();
    this.close();
    const openAtShutdown = this.connections();
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([this.closeAll(), new Promise((resolve) => (grace = setTimeout(resolve, graceMs)))]);
    clearTimeout(grace);
    this.closeRest?.();
    this.closeRest = undefined;
    this.wheel_?.close();
    this.wheelClosed = true;
    return { ...this.stats, openAtShutdown, leftOpen: this.connections() };
  }

  /** A ServerEventHandler's connection is closed. */
  remove(handler: ServerEventHandler): void {
    if (!this.handlers.delete(handler)) return;
    this.stats.closed++;
    this.log(`connection closed (${this.handlers.size} open)`);
  }

  protected admit(connection: AcceptedConnection): void {
    const handler = new ServerEventHandler(this);
    handler.proactor(this.proactor_!);
    handler.handle(connection.handle);
    try {
      handler.open(connection.handle, new MessageBlock(0));
    } catch (e) {
      // The proactor refused the first read (it is closing): nobody owns the socket.
      loadNative().socket.close(connection.handle);
      this.reactor()?.errorHook(e, this);
      return;
    }
    this.handlers.add(handler);
    this.release?.rose();
    this.stats.accepted++;
    this.log(`connection from ${connection.remote} (${this.handlers.size} open)`);
  }
}
