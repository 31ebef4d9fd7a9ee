import { type AsynchResult } from './AsynchResult';

/** Generations stay below 2^30: the native token's top two bits are the backend's. */
const GEN_MASK = 0x3fffffff;

/**
 * The operations the kernel is working on. A result's slot and generation
 * form the kernel's user_data; the generation changes each time a slot is
 * reused, so a late or stray completion never reaches the wrong result.
 * Holding the result holds its buffers: nothing the kernel points at can be
 * collected before its completion.
 */
export class InflightTable {
  private readonly results: (AsynchResult | undefined)[] = [];
  private readonly gens: number[] = [];
  private readonly free: number[] = [];
  private count_ = 0;

  /** Operations in flight. */
  get size(): number {
    return this.count_;
  }

  /** Gives result a slot and a generation. */
  add(result: AsynchResult): void {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.results.length;
      this.results.push(undefined);
      this.gens.push(0);
    }
    result.slot = slot;
    result.gen = this.gens[slot];
    this.results[slot] = result;
    this.count_++;
  }

  /** The result at (slot, gen), removed from the table; undefined if stale. */
  take(slot: number, gen: number): AsynchResult | undefined {
    const result = this.results[slot];
    if (result === undefined || this.gens[slot] !== gen) return undefined;
    this.results[slot] = undefined;
    this.gens[slot] = (gen + 1) & GEN_MASK;
    this.free.push(slot);
    this.count_--;
    result.slot = -1;
    return result;
  }

  /** The result at (slot, gen), left in the table (more completions follow); undefined if stale. */
  peek(slot: number, gen: number): AsynchResult | undefined {
    return this.gens[slot] === gen ? this.results[slot] : undefined;
  }

  /** Every result in flight (a copy: callers may start or finish operations). */
  snapshot(): AsynchResult[] {
    return this.results.filter((r): r is AsynchResult => r !== undefined);
  }
}
