import { type InetAddr } from '../../framework/common/InetAddr';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { canReleaseMemory, SpikeMemoryRelease } from '../../framework/common/MemoryRelease';
import { type SockAcceptorOptions } from '../../framework/common/SockAcceptor';
import { loadNative } from '../../framework/native/loadNative';
import { type Proactor } from '../../framework/proactor/Proactor';
import { TimerWheel } from '../../framework/proactor/TimerWheel';
import { type AcceptedConnection } from '../../framework/reactor/NonBlockingAccept';
import { PassiveEventHandler } from '../../framework/reactor/PassiveEventHandler';
import { type Reactor } from '../../framework/reactor/Reactor';
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

/**
 * How long the open connections must stay at a quarter of their peak or fewer
 * (the peak at least 1,000 above) before the memory the spike left is given
 * back (SpikeMemoryRelease); 0: never.
 */
export const DEFAULT_RELEASE_MEMORY_MS = 10_000;

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
  /** Gives the memory back after a spike of connections (absent: --release-memory 0, or a build without it). */
  private readonly release: SpikeMemoryRelease | undefined;

  constructor(
    readonly log: (line: string) => void = () => undefined,
    readonly timeouts: ServerTimeouts = DEFAULT_TIMEOUTS,
    releaseMemoryMs = DEFAULT_RELEASE_MEMORY_MS,
  ) {
    super();
    if (releaseMemoryMs > 0 && canReleaseMemory()) {
      this.release = new SpikeMemoryRelease(() => this.handlers.size, {
        quietMs: releaseMemoryMs,
        onRelease: (r, peak, load) =>
          this.log(
            `memory released after a spike of ${peak} connections (${load} open): ` +
              `RSS ${mib(r.rssBefore)} -> ${mib(r.rssAfter)} MiB, heap ${mib(r.heapBefore)} -> ${mib(r.heapAfter)} MiB, ${Math.round(r.durationMs)} ms`,
          ),
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
    this.proactor_ = proactor;
    // A deadline may expire up to a tick late: a tenth of the shorter timeout, within [10 ms, 1 s].
    const shortest = Math.min(...[this.timeouts.idleMs, this.timeouts.lineMs].filter((ms) => ms > 0), 10_000);
    this.wheel_ = new TimerWheel(proactor, Math.min(1000, Math.max(10, Math.floor(shortest / 10))));
    this.listen(address, reactor, options);
  }

  /** Connections open now. */
  connections(): number {
    return this.handlers.size;
  }

  protected override resourceShortage(code: string): void {
    this.log(`accept: ${code}; pausing for a moment`);
  }

  /** Closes every open connection; settles when all are closed. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.handlers].map((h) => h.close()));
  }

  /**
   * Stops accepting and closes every connection, giving them graceMs; both
   * event loops must keep running meanwhile, for the closes to complete.
   */
  async shutDown(graceMs = CLOSE_GRACE_MS): Promise<ServerSummary> {
    this.close();
    const openAtShutdown = this.connections();
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([this.closeAll(), new Promise((resolve) => (grace = setTimeout(resolve, graceMs)))]);
    clearTimeout(grace);
    this.wheel_?.close();
    this.release?.close();
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

function mib(bytes: number): number {
  return Math.round(bytes / 1048576);
}
