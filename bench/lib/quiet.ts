import { sleep } from './processes';
import { TICKS_PER_SECOND, foreignTicks } from './procStat';

/** A run during which other processes used more than this (% of one core) is noisy. */
export const NOISE_LIMIT_PCT = 5;

/**
 * Waits until the box's other processes use less than NOISE_LIMIT_PCT of a
 * core over one second, or maxMs passes; returns whether it went quiet.
 */
export async function waitForQuiet(ours: ReadonlySet<number>, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const before = foreignTicks(ours);
    await sleep(1000);
    if (((foreignTicks(ours) - before) * 100) / TICKS_PER_SECOND < NOISE_LIMIT_PCT) return true;
  }
  return false;
}
