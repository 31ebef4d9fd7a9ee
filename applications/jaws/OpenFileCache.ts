import { type DocumentRoot, type NoFile, type OpenFile } from './DocumentRoot';
import { type TargetPath } from './RequestTarget';

/** A file lent to a response; give it back with OpenFileCache.release(). */
export interface FileLease {
  readonly ok: true;
  readonly file: OpenFile;
  /** Responses using it now. */
  refs: number;
  /** Monotonic ms after which it is not lent again. */
  expires: number;
  /** Out of the cache: the last release closes it. */
  evicted: boolean;
}

/**
 * The open files of a JAWS server, kept for ttlMs after they were opened:
 * a file asked for again within that time is sent from the same descriptor, without
 * resolving, opening and checking its path again. Concurrent responses
 * share it (a transmit reads at its own offsets). A file changed within
 * ttlMs may be answered with the size and date it had when opened. ttlMs 0
 * opens the file for every request and closes it after.
 */
export class OpenFileCache {
  private readonly leases = new Map<string, FileLease>();

  constructor(
    private readonly root: DocumentRoot,
    private readonly ttlMs: number,
  ) {}

  /** The file target names, lent; or why there is none. */
  acquire(target: Extract<TargetPath, { ok: true }>, now: number): FileLease | NoFile {
    const key = target.dir ? `${target.segments.join('/')}/` : target.segments.join('/');
    const cached = this.ttlMs > 0 ? this.leases.get(key) : undefined;
    if (cached && cached.expires > now) {
      cached.refs++;
      return cached;
    }
    if (cached) this.evict(key, cached);
    const file = this.root.open(target);
    if (!file.ok) return file;
    const lease: FileLease = { ok: true, file, refs: 1, expires: now + this.ttlMs, evicted: this.ttlMs === 0 };
    if (this.ttlMs > 0) this.leases.set(key, lease);
    return lease;
  }

  /** A response is done with lease. */
  release(lease: FileLease): void {
    if (--lease.refs === 0 && lease.evicted) this.root.closeFile(lease.file.fd);
  }

  /** Closes the files whose time is up (those still lent close on their last release). */
  sweep(now: number): void {
    for (const [key, lease] of this.leases) if (lease.expires <= now) this.evict(key, lease);
  }

  /** Closes every file (those still lent on their last release). */
  flush(): void {
    this.sweep(Infinity);
  }

  /** Files held open now. */
  size(): number {
    return this.leases.size;
  }

  private evict(key: string, lease: FileLease): void {
    this.leases.delete(key);
    lease.evicted = true;
    if (lease.refs === 0) this.root.closeFile(lease.file.fd);
  }
}
