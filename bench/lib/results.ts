import { type Load, type RunResult } from './loadgen';
import { type Machine } from './machine';
import { type MemoryResult } from './memory';
import { type ServerSpec } from './servers';
import { median, spread } from './stats';
import { type SyscallCount } from './syscalls';

/** Medians over the accepted runs of one server under one load. */
export interface Summary {
  msgs_per_s: number;
  bytes_per_s: number;
  p50_us: number;
  p99_us: number;
  p999_us: number;
  server_cpu_pct: number;
  loadgen_cpu_pct: number;
  server_waits_per_msg: number;
  /** Server CPU time per message, µs: what a message costs the server, whoever is the bottleneck. */
  server_us_per_msg: number;
  /** (max − min) / median of the runs' msgs/s: how far to trust the median. */
  spread: number;
}

/** One server under one load. */
export interface Cell {
  server: string;
  load: string;
  runs: RunResult[];
  /** Runs thrown away because other processes took CPU meanwhile. */
  discardedNoisy: number;
  /** Accepted runs that were still noisy (retries exhausted). */
  keptNoisy: number;
  failure?: string;
  summary?: Summary;
  syscalls?: SyscallCount;
  syscallFailure?: string;
}

export interface Timing {
  warmup: number;
  duration: number;
  runs: number;
  syscallSeconds: number;
}

export interface BenchResults {
  startedAt: string;
  elapsedSeconds: number;
  quick: boolean;
  machine: Machine;
  pinned: boolean;
  strace: boolean;
  timing: Timing;
  loads: Load[];
  servers: ServerSpec[];
  cells: Cell[];
  /** os.loadavg() when the run started. */
  loadAverage?: number[];
  /** Memory per idle connection, when the run measured it. */
  memory?: MemoryResult[];
}

export function summarize(runs: readonly RunResult[]): Summary {
  const m = (f: (r: RunResult) => number) => median(runs.map(f));
  return {
    msgs_per_s: m((r) => r.msgs_per_s),
    bytes_per_s: m((r) => r.bytes_per_s),
    p50_us: m((r) => r.p50_us),
    p99_us: m((r) => r.p99_us),
    p999_us: m((r) => r.p999_us),
    server_cpu_pct: m((r) => r.server_cpu_pct),
    loadgen_cpu_pct: m((r) => r.cpu_pct),
    server_waits_per_msg: m((r) => r.server_waits_per_msg),
    server_us_per_msg: m((r) => (r.server_cpu_pct * 1e4) / r.msgs_per_s),
    spread: spread(runs.map((r) => r.msgs_per_s)),
  };
}

export function cellOf(results: BenchResults, server: string, load: string): Cell | undefined {
  return results.cells.find((c) => c.server === server && c.load === load);
}
