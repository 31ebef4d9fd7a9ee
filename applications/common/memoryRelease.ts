import { type MemoryReleaseReport } from '../../framework/common/MemoryRelease';

/**
 * The bundled servers' default for --release-memory: how long the open
 * connections must stay at a quarter of their peak or fewer (the peak at
 * least RELEASE_MIN_DROP above) before the memory the spike left is given
 * back (SpikeMemoryRelease); 0: never.
 */
export const DEFAULT_RELEASE_MEMORY_MS = 10_000;

/** How far below its peak the connections must fall for a release; a pool thread takes its share of it. */
export const RELEASE_MIN_DROP = 1000;

function mib(bytes: number): number {
  return Math.round(bytes / 1048576);
}

/** A release, for a log line: what the RSS did, the heap's part (when it was collected), how long it took. */
export function describeRelease(r: MemoryReleaseReport): string {
  const heap = r.heapCollected ? `heap ${mib(r.heapBefore)} -> ${mib(r.heapAfter)} MiB` : 'heap not collected (no V8 call found)';
  return `RSS ${mib(r.rssBefore)} -> ${mib(r.rssAfter)} MiB (the whole process), ${heap}, ${Math.round(r.durationMs)} ms`;
}
