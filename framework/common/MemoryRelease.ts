import { loadNative } from '../native/loadNative';
import { debug } from './debug';
import { ProactorError } from './ProactorError';

/** What releaseMemory() did. Sizes are in bytes. */
export interface MemoryReleaseReport {
  /** Whether V8's heap was collected; false where the runtime has no such call (only malloc was trimmed). */
  heapCollected: boolean;
  /** The process's resident set before. */
  rssBefore: number;
  /** The process's resident set after. */
  rssAfter: number;
  /** This thread's V8 heap, as committed (heapTotal), before. */
  heapBefore: number;
  /** This thread's V8 heap, as committed, after. */
  heapAfter: number;
  /** How long the thread was blocked. */
  durationMs: number;
}

/** Whether this build can release memory: the Linux build can, the win32 one cannot. */
export function canReleaseMemory(): boolean {
  return loadNative().releaseMemory !== undefined;
}

/**
 * Gives back to the system the memory a past load left behind, now that the
 * load is gone: V8's low-memory collection of this thread's heap (every
 * unreachable object, the young generation shrunk to its least, freed pages
 * unmapped), then glibc's `malloc_trim(0)`.
 *
 * Node collects garbage only when JavaScript allocates, so a server that was
 * busy with 10,000 connections and is now idle keeps the closed connections'
 * objects, Buffers and the heap they grew into for good. Call this when a
 * spike is over, or let {@link SpikeMemoryRelease} call it.
 *
 * It blocks the calling thread while it runs: tens of milliseconds for a heap
 * of tens of megabytes, during which no completion is dispatched. On a
 * ProactorPool it collects the heap of the thread it is called on (each
 * thread has its own); the malloc part is for the whole process.
 *
 * @throws ProactorError 'unsupported' on a build without it (win32).
 */
export function releaseMemory(): MemoryReleaseReport {
  const release = loadNative().releaseMemory;
  if (release === undefined) {
    throw new ProactorError('unsupported', 'releaseMemory() needs the Linux build of the addon; this one has no way to collect the heap');
  }
  const before = process.memoryUsage();
  const start = process.hrtime.bigint();
  const heapCollected = release();
  const durationMs = Number(process.hrtime.bigint() - start) / 1e6;
  const after = process.memoryUsage();
  return { heapCollected, rssBefore: before.rss, rssAfter: after.rss, heapBefore: before.heapTotal, heapAfter: after.heapTotal, durationMs };
}

/** When a SpikeMemoryRelease releases. */
export interface SpikeMemoryReleaseOptions {
  /**
   * How long the load must stay at or below a quarter of its peak before the
   * memory is released, in ms (default 10,000). It is checked at a quarter of
   * this, at most once a second, only while a spike is being watched.
   */
  quietMs?: number;
  /** A spike is one whose peak is at least this much above the load now (default 1,000). */
  minDrop?: number;
  /** Told of each release: what it did, the peak, and the load at that moment. */
  onRelease?: (report: MemoryReleaseReport, peak: number, load: number) => void;
  /** What releases (default releaseMemory); for tests. */
  release?: () => MemoryReleaseReport;
}

/**
 * Calls releaseMemory() once a spike of load is over: when the load (open
 * connections, say) has fallen to a quarter of its peak or less, by at least
 * `minDrop`, and stayed there for `quietMs`. The peak then starts again from
 * the load at that moment (still watched if that load is `minDrop` or more,
 * for it may fall again). Nothing runs while no spike is watched; the check
 * timer never keeps the process alive. An exception from `onRelease` is
 * turned into a process warning.
 *
 * @example
 * const release = new SpikeMemoryRelease(() => connections.size);
 * // at each accept:
 * release.rose();
 * // at shutdown:
 * release.close();
 */
export class SpikeMemoryRelease {
  private readonly quietMs: number;
  private readonly minDrop: number;
  private readonly onRelease: SpikeMemoryReleaseOptions['onRelease'];
  private readonly release: () => MemoryReleaseReport;
  private peak_ = 0;
  /** When the load was first seen low, by the check's clock; undefined while it is not. */
  private lowSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private releases_ = 0;
  private closed = false;

  constructor(
    private readonly load: () => number,
    options: SpikeMemoryReleaseOptions = {},
  ) {
    this.quietMs = options.quietMs ?? 10_000;
    this.minDrop = options.minDrop ?? 1000;
    if (!Number.isFinite(this.quietMs) || this.quietMs <= 0) throw new ProactorError('invalid-argument', `quietMs must be a positive number of ms, got ${options.quietMs}`);
    if (!Number.isInteger(this.minDrop) || this.minDrop < 1) throw new ProactorError('invalid-argument', `minDrop must be a whole number of at least 1, got ${options.minDrop}`);
    if (typeof load !== 'function') throw new ProactorError('invalid-argument', `SpikeMemoryRelease needs a function that returns the load now, got ${typeof load}`);
    this.onRelease = options.onRelease;
    this.release = options.release ?? releaseMemory;
  }

  /** The highest load seen since the last release. */
  peak(): number {
    return this.peak_;
  }

  /** How many times memory was released. */
  releases(): number {
    return this.releases_;
  }

  /** Whether a spike is being watched (the check timer is armed). */
  watching(): boolean {
    return this.timer !== undefined;
  }

  /** Call when the load rises (a connection opened): keeps the peak, and starts watching once it is a spike's. */
  rose(): void {
    if (this.closed) return;
    const load = this.load();
    if (load <= this.peak_) return;
    this.peak_ = load;
    if (this.timer === undefined && load >= this.minDrop) {
      const every = Math.max(10, Math.min(1000, Math.floor(this.quietMs / 4)));
      this.timer = setInterval(() => this.check(), every);
      this.timer.unref();
    }
  }

  /** Stops watching for good. */
  close(): void {
    this.closed = true;
    this.stopWatching();
  }

  private stopWatching(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.lowSince = undefined;
  }

  private check(): void {
    const load = this.load();
    if (load > this.peak_) this.peak_ = load;
    if (load * 4 > this.peak_ || this.peak_ - load < this.minDrop) {
      this.lowSince = undefined;
      return;
    }
    const now = performance.now();
    if (this.lowSince === undefined) this.lowSince = now;
    if (now - this.lowSince < this.quietMs) return;
    const peak = this.peak_;
    this.peak_ = load;
    this.lowSince = undefined;
    // A load still this high may fall again, with no new peak to start watching.
    if (load < this.minDrop) this.stopWatching();
    let report: MemoryReleaseReport;
    try {
      report = this.release();
    } catch (e) {
      // Reported under NODE_DEBUG=proactor; the next spike, or the next quiet time while still watched, tries again.
      debug('releasing memory after a spike of %d failed: %s', peak, (e as Error).message);
      return;
    }
    this.releases_++;
    debug(
      'released memory after a spike of %d (load %d): RSS %d -> %d MiB, heap %d -> %d MiB, %d ms',
      peak,
      load,
      Math.round(report.rssBefore / 1048576),
      Math.round(report.rssAfter / 1048576),
      Math.round(report.heapBefore / 1048576),
      Math.round(report.heapAfter / 1048576),
      Math.round(report.durationMs),
    );
    try {
      this.onRelease?.(report, peak, load);
    } catch (e) {
      // A report that cannot be told must not take the server down from a timer.
      process.emitWarning(`SpikeMemoryRelease: onRelease threw: ${(e as Error).message}`);
    }
  }
}
