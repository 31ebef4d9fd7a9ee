import { type MemoryResult } from './memory';
import { type BenchResults, cellOf } from './results';
import { COMPARED } from './servers';
import { median } from './stats';

const BASELINE = 'net';

const fmtRate = (v: number) => (!Number.isFinite(v) ? '—' : v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0));
const fmtUs = (v: number) => (!Number.isFinite(v) ? '—' : v >= 1000 ? (v / 1000).toFixed(v >= 1e4 ? 0 : 1) + ' ms' : v.toFixed(v >= 100 ? 0 : 1));
const fmtX = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—');
const fmtN = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : '—');
const row = (cells: string[]) => `| ${cells.join(' | ')} |`;

/** What the run was measured on, and how busy the rest of the box was meanwhile. */
function preamble(r: BenchResults): string {
  const m = r.machine;
  const foreign = median(r.cells.flatMap((c) => c.runs.map((run) => run.foreign_cpu_pct)));
  const busy = Number.isFinite(foreign) ? ` Other processes on the box used a median ${foreign.toFixed(0)}% of a core during the measured windows${r.loadAverage ? ` (load average ${r.loadAverage.map((l) => l.toFixed(1)).join(', ')} at the start)` : ''}.` : '';
  return `Measured ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC at commit ${m.commit}: ${m.cpu}, ${m.cores} cores, ${m.kernel}, Node ${m.node}; `
    + `${r.pinned ? 'server on CPU 0, load generator on CPU 1' : 'not pinned'}; median of ${r.timing.runs} run${r.timing.runs > 1 ? 's' : ''} of ${r.timing.duration} s after ${r.timing.warmup} s of warm-up.${busy}`;
}

/**
 * The Reactor-vs-Proactor table: the same echo service as Node `net`, the
 * framework's Reactor, its io_uring Proactor and the two paired, under
 * every load of the run; undefined when the run had fewer than two of them.
 */
export function compareReport(r: BenchResults): string | undefined {
  const servers = COMPARED.filter((id) => r.servers.some((s) => s.id === id));
  if (servers.length < 2) return undefined;
  const lines = [
    preamble(r),
    '',
    row(['Load', 'Server', 'msgs/s', '× net', 'p50 µs', 'p99 µs', 'p999 µs', 'server µs/msg', 'syscalls/msg', 'waits/msg']),
    row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
  ];
  for (const load of r.loads) {
    const base = cellOf(r, BASELINE, load.id)?.summary;
    for (const id of servers) {
      const cell = cellOf(r, id, load.id);
      const s = cell?.summary;
      if (!s) {
        lines.push(row([load.label, `\`${id}\``, `failed: ${cell?.failure ?? 'not run'}`, '', '', '', '', '', '', '']));
        continue;
      }
      const noisy = cell.keptNoisy ? ' †' : '';
      lines.push(row([load.label, `\`${id}\``, fmtRate(s.msgs_per_s) + noisy, fmtX(base ? s.msgs_per_s / base.msgs_per_s : NaN), fmtUs(s.p50_us), fmtUs(s.p99_us), fmtUs(s.p999_us),
        fmtN(s.server_us_per_msg, s.server_us_per_msg >= 100 ? 0 : 1), fmtN(cell.syscalls?.perMessage ?? NaN, 2), fmtN(s.server_waits_per_msg, 3)]));
    }
  }
  if (r.cells.some((c) => c.keptNoisy > 0)) lines.push('', '† other processes on the box used more than 5% of a core during the run.');
  return lines.join('\n');
}

/** The memory-per-connection table. */
export function memoryReport(r: BenchResults): string | undefined {
  const memory: MemoryResult[] | undefined = r.memory;
  if (!memory?.length) return undefined;
  const net = memory.find((m) => m.id === BASELINE);
  const kib = (b: number) => (b / 1024).toFixed(2);
  const lines = [
    `Measured ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC at commit ${r.machine.commit}, Node ${r.machine.node}, ${r.machine.kernel}. `
      + `Each server alone, on CPU 0; ${memory[0].connections.toLocaleString('en')} connections from this process over 127.0.0.1, each echoes 64 B once and then stays open and silent, so each has a read pending in the server. `
      + 'RSS (VmRSS) once the server is listening and settled, and again 1.5 s after the last connection was echoed; per connection: the difference divided by the connections.',
    '',
    row(['Server', 'What waits for each connection', 'RSS before', 'RSS with the idle connections', 'per connection', '× net']),
    row(['---', '---', '---:', '---:', '---:', '---:']),
  ];
  for (const m of memory) {
    if (m.failure) {
      lines.push(row([`\`${m.id}\``, m.what, `failed: ${m.failure}`, '', '', '']));
      continue;
    }
    lines.push(row([`\`${m.id}\``, m.what, `${(m.rssBeforeBytes / 2 ** 20).toFixed(1)} MiB`, `${(m.rssIdleBytes / 2 ** 20).toFixed(1)} MiB`, `${kib(m.bytesPerConnection)} KiB`,
      fmtX(net && !net.failure ? m.bytesPerConnection / net.bytesPerConnection : NaN)]));
  }
  return lines.join('\n');
}
