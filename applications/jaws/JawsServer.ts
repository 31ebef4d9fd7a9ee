import { performance } from 'node:perf_hooks';
import { type InetAddr } from '../../framework/common/InetAddr';
import { canReleaseMemory, SpikeMemoryRelease } from '../../framework/common/MemoryRelease';
import { describeRelease, RELEASE_MIN_DROP } from '../common/memoryRelease';
import { ProactorError } from '../../framework/common/ProactorError';
import { AsynchAcceptor } from '../../framework/proactor/AsynchAcceptor';
import { Handler } from '../../framework/proactor/Handler';
import { type Proactor } from '../../framework/proactor/Proactor';
import { DocumentRoot } from './DocumentRoot';
import { HttpHandler } from './HttpHandler';
import { type HttpRequest } from './HttpRequest';
import { DEFAULT_LIMITS, type JawsLimits, ZERO_ALLOWED } from './JawsLimits';
import { OpenFileCache } from './OpenFileCache';

/** What a JAWS server has done; the summary it prints when it stops. */
export interface JawsStats {
  accepted: number;
  /** Connections closed at once because maxConnections were open. */
  rejected: number;
  closed: number;
  requests: number;
  responses: number;
  /** Requests answered with an error status by the parser (400, 405, 413, 414, 431, 501, 505). */
  refused: number;
  /** Connections answered 408: no whole request head in time. */
  timedOut: number;
  /** Connections that ended in a read, write or transmit error. */
  failed: number;
  /** File bytes handed to AsynchTransmitFile. */
  bodyBytes: number;
}

/** What JawsServer.open() needs besides an address. */
export interface JawsOptions {
  /** The directory served. */
  root: string;
  limits?: Partial<JawsLimits>;
  /** Receives one access-log line per request. */
  accessLog?: (line: string) => void;
  /** Receives the reason of each refused request, and a line for each release of memory after a spike. */
  log?: (line: string) => void;
  /** How far the connections must fall below their peak for a release (default 1,000; a pool thread's share of it). */
  releaseMinDrop?: number;
}

/**
 * JAWS, the paper's Web server, on the Proactor: an AsynchAcceptor that
 * makes an HttpHandler for each connection, the registry of open
 * connections, and their timers. The header-read and keep-alive timeouts
 * cost one repeating Proactor timer for the whole server: each connection
 * keeps only a deadline, and the sweep closes those past it, so no timer
 * is scheduled or cancelled per request.
 *
 * @example
 * const jaws = new JawsServer({ root: '/srv/www' });
 * jaws.open(new InetAddr(8080), proactor);
 */
export class JawsServer extends Handler {
  readonly limits: JawsLimits;
  readonly root: DocumentRoot;
  /** The open files responses are sent from. */
  readonly files: OpenFileCache;
  readonly stats: JawsStats = { accepted: 0, rejected: 0, closed: 0, requests: 0, responses: 0, refused: 0, timedOut: 0, failed: 0, bodyBytes: 0 };
  private readonly acceptor = new AsynchAcceptor<HttpHandler>();
  private readonly connections = new Set<HttpHandler>();
  private sweepTimer = 0;
  private allClosed: (() => void) | undefined;
  /** Gives the memory back after a spike of connections (absent: releaseMemoryMs 0, or a build without it). */
  private readonly release: SpikeMemoryRelease | undefined;

  constructor(private readonly options: JawsOptions) {
    super();
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    for (const [name, value] of Object.entries(this.limits)) {
      const least = ZERO_ALLOWED.has(name as keyof JawsLimits) ? 0 : 1;
      if (!Number.isInteger(value) || value < least) throw new RangeError(`JAWS limit ${name} must be a whole number ≥ ${least}, got ${value}`);
    }
    this.root = new DocumentRoot(options.root);
    this.files = new OpenFileCache(this.root, this.limits.fileCacheMs);
    if (this.limits.releaseMemoryMs > 0 && canReleaseMemory()) {
      this.release = new SpikeMemoryRelease(() => this.connections.size, {
        quietMs: this.limits.releaseMemoryMs,
        minDrop: options.releaseMinDrop ?? RELEASE_MIN_DROP,
        onRelease: (r, peak, load) => this.note(`memory released after a spike of ${peak} connections (${load} open): ${describeRelease(r)}`),
      });
    }
  }

  /** Listens on address; connections are served on proactor. */
  open(address: InetAddr, proactor: Proactor, listen: { reusePort?: boolean; backlog?: number } = {}): void {
    // Every body goes out with AsynchTransmitFile: refuse, at start, a
    // backend that cannot run it, rather than fail each request.
    if (!proactor.implementation().supports('sendfile')) {
      throw new ProactorError('unsupported', `JAWS sends files with AsynchTransmitFile, which the ${proactor.backend} backend cannot run; choose another with --backend`);
    }
    this.proactor(proactor);
    this.root.prepare();
    try {
      this.acceptor.open(address, {
        proactor,
        makeHandler: () => new HttpHandler(this),
        passAddresses: this.options.accessLog !== undefined,
        reusePort: listen.reusePort,
        backlog: listen.backlog,
      });
    } catch (e) {
      this.root.close();
      throw e;
    }
    const tick = Math.max(10, Math.min(1000, Math.floor(Math.min(this.limits.headerTimeoutMs, this.limits.idleTimeoutMs) / 4)));
    this.sweepTimer = proactor.scheduleTimer(this, undefined, tick, tick);
  }

  getLocalAddr(): InetAddr {
    return this.acceptor.getLocalAddr();
  }

  /** Connections open now. */
  openConnections(): number {
    return this.connections.size;
  }

  /** Monotonic ms, the clock of the deadlines. */
  now(): number {
    return performance.now();
  }

  /** A handler opened; false if it must close at once (too many connections). */
  opened(handler: HttpHandler): boolean {
    if (this.connections.size >= this.limits.maxConnections || this.allClosed !== undefined) {
      this.stats.rejected++;
      return false;
    }
    this.connections.add(handler);
    this.release?.rose();
    this.stats.accepted++;
    return true;
  }

  /** A handler's connection is closed. */
  closed(handler: HttpHandler): void {
    if (!this.connections.delete(handler)) return;
    this.stats.closed++;
    if (this.connections.size === 0) this.allClosed?.();
  }

  /** The sweep: acts on every connection whose deadline has passed. */
  override handleTimeOut(): void {
    const now = this.now();
    for (const h of this.connections) if (h.deadline !== 0 && h.deadline <= now) h.expire();
    this.files.sweep(now);
  }

  /** One access-log line: the status the client was sent; "-" for a request line that could not be read. */
  log(handler: HttpHandler, request: HttpRequest | undefined, status: number): void {
    if (!this.options.accessLog) return;
    const who = handler.remote ? handler.remote.host : '-';
    const line = request ? `${request.method} ${request.target} HTTP/1.${request.minor}` : '-';
    this.options.accessLog(`${who} - - [${new Date().toISOString()}] "${line}" ${status}`);
  }

  note(line: string): void {
    this.options.log?.(line);
  }

  /**
   * Stops accepting, closes idle connections, lets responses in flight
   * finish (each connection then closes) and settles once every connection
   * is closed, or graceMs have passed (the caller's Proactor close then
   * cancels the rest). The Proactor must keep dispatching meanwhile.
   */
  async shutDown(graceMs = 10000): Promise<JawsStats & { openAtShutdown: number; leftOpen: number }> {
    // No collection while the connections drain.
    this.release?.close();
    const openAtShutdown = this.connections.size;
    const everyoneClosed = new Promise<void>((resolve) => (this.allClosed = resolve));
    await this.acceptor.close();
    for (const h of [...this.connections]) h.drain();
    let grace: NodeJS.Timeout | undefined;
    if (this.connections.size > 0) await Promise.race([everyoneClosed, new Promise((resolve) => (grace = setTimeout(resolve, graceMs)))]);
    clearTimeout(grace);
    if (this.sweepTimer) this.proactor()?.cancelTimer(this.sweepTimer);
    this.sweepTimer = 0;
    this.files.flush();
    this.root.close();
    return { ...this.stats, openAtShutdown, leftOpen: this.connections.size };
  }
}
