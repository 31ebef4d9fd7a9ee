import { exited, pinned, spawnTracked } from './processes';
import { TICKS_PER_SECOND, foreignTicks, sampleProcess } from './procStat';

/** One load: request/response or streaming, N connections, S-byte messages. */
export interface Load {
  id: string;
  label: string;
  /** Two words for a chart's axis: '64B 100c'. */
  chart: string;
  mode: 'rr' | 'stream';
  conns: number;
  size: number;
  /** Streaming: chunks in flight per connection. */
  window?: number;
  /** Also count the servers' system calls under this load. */
  syscalls?: boolean;
}

/** What the load generator printed (see bench/loadgen.c). */
export interface LoadgenOutput {
  msgs: number;
  msgs_per_s: number;
  bytes_per_s: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  p999_us: number;
  max_us: number;
  total_msgs: number;
  errors: number;
  dead: number;
  cpu_pct: number;
  duration_s: number;
  first_error?: string;
  error?: string;
}

/** One measured run: the load generator's view plus the server's, over the measured window. */
export interface RunResult extends LoadgenOutput {
  /** Server CPU, % of one core. */
  server_cpu_pct: number;
  /** Times the server blocked (voluntary context switches) per message. */
  server_waits_per_msg: number;
  /** CPU other processes on the box used meanwhile, % of one core. */
  foreign_cpu_pct: number;
}

export interface LoadgenOptions {
  binary: string;
  port: number;
  load: Load;
  warmup: number;
  duration: number;
  cpu?: number;
  /** The server's pid, sampled around the measured window. */
  serverPid?: number;
  /** Pids of the benchmark's own processes (not counted as foreign). */
  ours?: ReadonlySet<number>;
  /** Called when the measured window opens. */
  onMeasure?: () => void;
}

/** Runs the load generator once; bounded by warm-up + duration + 60 s. */
export async function runLoadgen(o: LoadgenOptions): Promise<RunResult> {
  const args = ['--port', String(o.port), '--mode', o.load.mode, '--conns', String(o.load.conns), '--size', String(o.load.size),
    '--warmup', String(o.warmup), '--duration', String(o.duration)];
  if (o.load.window) args.push('--window', String(o.load.window));
  const [command, argv] = pinned(o.cpu, o.binary, args);
  const child = spawnTracked(command, argv);
  const limit = setTimeout(() => child.kill('SIGKILL'), (o.warmup + o.duration + 60) * 1000);
  // Read at each mark: the caller may add processes of its own meanwhile (perf).
  const ours = () => new Set([...(o.ours ?? []), child.pid!, process.pid]);

  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  type Mark = { at: bigint; server?: ReturnType<typeof sampleProcess>; foreign: number };
  const mark = (): Mark => ({ at: process.hrtime.bigint(), server: o.serverPid ? sampleProcess(o.serverPid) : undefined, foreign: foreignTicks(ours()) });
  let begin: Mark | undefined;
  let end: Mark | undefined;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!begin && /^measure$/m.test(stderr)) {
      begin = mark();
      o.onMeasure?.();
    }
    if (begin && !end && /^end$/m.test(stderr)) end = mark();
  });
  const code = await exited(child);
  clearTimeout(limit);

  const line = stdout.trim().split('\n').pop() ?? '';
  let out: LoadgenOutput;
  try {
    out = JSON.parse(line) as LoadgenOutput;
  } catch {
    throw new Error(`loadgen exited ${code} without a result: ${stdout.trim() || stderr.trim()}`);
  }
  if (out.error) throw new Error(`loadgen: ${out.error}`);
  let server_cpu_pct = NaN;
  let server_waits_per_msg = NaN;
  let foreign_cpu_pct = NaN;
  if (begin && end) {
    const seconds = Number(end.at - begin.at) / 1e9;
    foreign_cpu_pct = (100 * (end.foreign - begin.foreign)) / TICKS_PER_SECOND / seconds;
    if (begin.server && end.server) {
      server_cpu_pct = (100 * (end.server.ticks - begin.server.ticks)) / TICKS_PER_SECOND / seconds;
      if (out.msgs > 0) server_waits_per_msg = (end.server.voluntarySwitches - begin.server.voluntarySwitches) / out.msgs;
    }
  }
  return { ...out, server_cpu_pct, server_waits_per_msg, foreign_cpu_pct };
}
