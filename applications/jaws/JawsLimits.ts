import { DEFAULT_RELEASE_MEMORY_MS } from '../common/memoryRelease';

/** The bounds JAWS puts on what a client may make it hold or wait for. */
export interface JawsLimits {
  /** Bytes of a request line and its headers, CRLFs included: more is 431. */
  maxHeaderBytes: number;
  /** Bytes of the request target: more is 414. */
  maxUriBytes: number;
  /** Header fields of one request: more is 431. */
  maxHeaderCount: number;
  /** Bytes of a request body, which JAWS reads and discards: more is 413. */
  maxBodyBytes: number;
  /** Connections open at once; the next ones are closed as they arrive. */
  maxConnections: number;
  /** ms a client has to send a whole request head once it has begun one (or connected): then 408. */
  headerTimeoutMs: number;
  /** ms an idle keep-alive connection is kept between requests. */
  idleTimeoutMs: number;
  /** ms an opened file is kept open for the next requests for it (0: opened and closed per request). */
  fileCacheMs: number;
  /**
   * ms the open connections must stay at a quarter of their peak or fewer (the
   * peak at least 1,000 above) before the memory the spike left is given back
   * (SpikeMemoryRelease; 0: never).
   */
  releaseMemoryMs: number;
}

/** What JAWS uses when a limit is not given. */
export const DEFAULT_LIMITS: Readonly<JawsLimits> = Object.freeze({
  maxHeaderBytes: 8 * 1024,
  maxUriBytes: 2 * 1024,
  maxHeaderCount: 100,
  maxBodyBytes: 64 * 1024,
  maxConnections: 10000,
  headerTimeoutMs: 10000,
  idleTimeoutMs: 5000,
  fileCacheMs: 1000,
  releaseMemoryMs: DEFAULT_RELEASE_MEMORY_MS,
});

/** The limits 0 turns off; every other one is at least 1. */
export const ZERO_ALLOWED: ReadonlySet<keyof JawsLimits> = new Set(['fileCacheMs', 'releaseMemoryMs']);
