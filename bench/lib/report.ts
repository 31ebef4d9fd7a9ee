import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Load } from './loadgen';
import { type BenchResults, type Cell, cellOf } from './results';
import { type ServerSpec } from './servers';
import { barChartSvg } from './svgChart';

export const BASELINE = 'net';
export const C_REFERENCE = 'c-uring';
/** The loads the targets are stated at. */
export const TARGET_RR = 'rr/100/64';
export const TARGET_STREAM = 'stream/10/65536';

const fmtRate = (v: number) => (!Number.isFinite(v) ? '—' : v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0));
const fmtMB = (v: number) => (Number.isFinite(v) ? (v / 1e6).toFixed(v >= 1e8 ? 0 : 1) : '—');
const fmtUs = (v: number) => (!Number.isFinite(v) ? '—' : v >= 1000 ? (v / 1000).toFixed(v >= 1e4 ? 0 : 1) + ' ms' : v.toFixed(v >= 100 ? 0 : 1));
const fmtX = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—');
const fmtPct = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)}%` : '—');
const fmtN = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '—');

/** The figure a load is judged by: messages/s for request/response, bytes/s for streaming. */
function rate(load: Load, cell: Cell | undefined): number {
  const s = cell?.summary;
  if (!s) return NaN;
  return load.mode === 'stream' ? s.bytes_per_s : s.msgs_per_s;
}

function ratio(results: BenchResults, load: Load, server: string, base: string): number {
  return rate(load, cellOf(results, server, load.id)) / rate(load, cellOf(results, base, load.id));
}

function p99Ratio(results: BenchResults, load: Load, server: string): number {
  return (cellOf(results, server, load.id)?.summary?.p99_us ?? NaN) / (cellOf(results, BASELINE, load.id)?.summary?.p99_us ?? NaN);
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function mark(value: number, goal: number, atLeast: boolean): string {
  if (!Number.isFinite(value)) return '—';
  const met = atLeast ? value >= goal : value <= goal;
  return met ? 'met' : 'missed';
}

function targetsTable(r: BenchResults): string[] {
  const framework = r.servers.filter((s) => s.kind === 'framework');
  const rr = r.loads.find((l) => l.id === TARGET_RR);
  const st = r.loads.find((l) => l.id === TARGET_STREAM);
  const lines = [row(['Target', 'Goal', ...framework.map((s) => `\`${s.id}\``)]), row(['---', '---', ...framework.map(() => '---:')])];
  const add = (name: string, goal: string, value: (s: ServerSpec) => number, g: number, atLeast: boolean, fmt: (v: number) => string, applies: (s: ServerSpec) => boolean = () => true) => {
    lines.push(row([name, goal, ...framework.map((s) => {
      const v = value(s);
      return applies(s) ? `${fmt(v)} ${mark(v, g, atLeast)}` : fmt(v);
    })]));
  };
  if (rr) {
    add('64 B echo, 100 connections: msgs/s vs Node `net`', '≥ 1.40× (post-reactive)', (s) => ratio(r, rr, s.id, BASELINE), 1.4, true, fmtX);
    add('64 B echo, 100 connections: msgs/s vs C io_uring', '≥ 0.85×', (s) => ratio(r, rr, s.id, C_REFERENCE), 0.85, true, fmtX);
    add('64 B echo, 100 connections: p99 vs Node `net`', '≤ 0.80×', (s) => p99Ratio(r, rr, s.id), 0.8, false, fmtX);
  }
  if (st) add('Streaming 64 KiB: bytes/s vs Node `net`', '≥ 1.60×', (s) => ratio(r, st, s.id, BASELINE), 1.6, true, fmtX);
  if (rr) {
    add('System calls per echoed message (64 B, 100 connections)', '≤ 0.5 on io_uring', (s) => cellOf(r, s.id, rr.id)?.syscalls?.perMessage ?? NaN, 0.5, false, (v) => fmtN(v), (s) => s.backend === 'uring');
  }
  const notes: string[] = [];
  const cRr = rr && cellOf(r, C_REFERENCE, rr.id)?.summary;
  if (cRr && cRr.loadgen_cpu_pct >= 95) {
    notes.push(`Under ${rr!.label} the load generator ran at ${fmtPct(cRr.loadgen_cpu_pct)} of its core against the C server, so the C figure is the box's ceiling and the ratios to it are upper bounds; `
      + `per message the C server used ${fmtN(cRr.server_us_per_msg, 1)} µs of CPU, ${framework.map((s) => `\`${s.id}\` ${fmtN(cellOf(r, s.id, rr!.id)?.summary?.server_us_per_msg ?? NaN, 1)} µs`).join(', ')}.`);
  }
  if (st && cellOf(r, C_REFERENCE, st.id)?.summary) {
    notes.push(`On the streaming load the C io_uring server itself reaches ${fmtX(ratio(r, st, C_REFERENCE, BASELINE))} Node \`net\`.`);
  }
  for (const note of notes) lines.push('', note);
  return lines;
}

function mainTable(r: BenchResults): string[] {
  const lines = [
    row(['Load', 'Server', 'msgs/s', 'spread', 'MB/s', '× net', 'p50 µs', 'p99 µs', 'p999 µs', 'p99 × net', 'server CPU', 'server µs/msg', 'loadgen CPU', 'waits/msg']),
    row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
  ];
  for (const load of r.loads) {
    for (const spec of r.servers) {
      const cell = cellOf(r, spec.id, load.id);
      const s = cell?.summary;
      const name = `\`${spec.id}\``;
      if (!s) {
        lines.push(row([load.label, name, `failed: ${cell?.failure ?? 'not run'}`, '', '', '', '', '', '', '', '', '', '', '']));
        continue;
      }
      const noisy = cell.keptNoisy ? ' †' : '';
      lines.push(row([load.label, name, fmtRate(s.msgs_per_s) + noisy, Number.isFinite(s.spread) ? `±${Math.round((s.spread * 100) / 2)}%` : '—', fmtMB(s.bytes_per_s), spec.id === BASELINE ? '1.00×' : fmtX(ratio(r, load, spec.id, BASELINE)),
        fmtUs(s.p50_us), fmtUs(s.p99_us), fmtUs(s.p999_us), spec.id === BASELINE ? '1.00×' : fmtX(p99Ratio(r, load, spec.id)),
        fmtPct(s.server_cpu_pct), fmtN(s.server_us_per_msg, s.server_us_per_msg >= 100 ? 0 : 1), fmtPct(s.loadgen_cpu_pct), fmtN(s.server_waits_per_msg, 3)]));
    }
  }
  return lines;
}

function syscallTable(r: BenchResults): string[] {
  const lines = [row(['Load', 'Server', 'syscalls/msg', 'busiest system calls (per message)']), row(['---', '---', '---:', '---'])];
  for (const load of r.loads.filter((l) => l.syscalls)) {
    for (const spec of r.servers) {
      const cell = cellOf(r, spec.id, load.id);
      const sc = cell?.syscalls;
      if (!sc) {
        lines.push(row([load.label, `\`${spec.id}\``, '—', cell?.syscallFailure ?? 'not counted']));
        continue;
      }
      const busiest = sc.top.map((t) => `${t.name} ${(t.calls / sc.messages).toFixed(t.calls / sc.messages >= 0.1 ? 2 : 3)}`).join(', ');
      lines.push(row([load.label, `\`${spec.id}\``, fmtN(sc.perMessage), busiest]));
    }
  }
  return lines;
}

function charts(r: BenchResults): string[] {
  const series = r.servers.filter((s) => s.id !== BASELINE);
  const groups = r.loads.map((l) => l.chart);
  const throughput = barChartSvg({
    title: 'Throughput relative to Node net (same load, higher is better)',
    yLabel: '× Node net',
    groups,
    series: series.map((s) => ({ name: s.id, values: r.loads.map((l) => ratio(r, l, s.id, BASELINE)) })),
    reference: { value: 1, label: 'Node net' },
    format: (v) => `${v.toFixed(1)}×`,
  });
  const p99 = barChartSvg({
    title: 'p99 latency relative to Node net (lower is better)',
    yLabel: '× Node net p99',
    groups,
    series: series.map((s) => ({ name: s.id, values: r.loads.map((l) => p99Ratio(r, l, s.id)) })),
    reference: { value: 1, label: 'Node net' },
    format: (v) => `${v.toFixed(1)}×`,
  });
  return [throughput, p99];
}

/**
 * The charts as .svg files beside the report (charts/<name>.svg next to
 * docsFile), and the markdown image links that show them: markdown viewers
 * render an image link, not inline <svg>.
 */
export function writeCharts(r: BenchResults, docsFile: string): string[] {
  const dir = path.join(path.dirname(docsFile), 'charts');
  fs.mkdirSync(dir, { recursive: true });
  const [throughput, p99] = charts(r);
  fs.writeFileSync(path.join(dir, 'throughput.svg'), `${throughput}\n`);
  fs.writeFileSync(path.join(dir, 'p99.svg'), `${p99}\n`);
  return ['![Throughput relative to Node net](charts/throughput.svg)', '', '![p99 latency relative to Node net](charts/p99.svg)'];
}

/** The generated part of docs/benchmarks.md. */
export function markdownReport(r: BenchResults, chartLinks: string[] = []): string {
  const m = r.machine;
  const noisy = r.cells.reduce((n, c) => n + c.discardedNoisy, 0);
  const keptNoisy = r.cells.some((c) => c.keptNoisy > 0);
  const out = [
    `Measured ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC${r.quick ? ' (quick mode: fewer loads, short runs; not for comparison)' : ''} at commit ${m.commit}: ${m.cpu}, ${m.cores} cores, ${m.kernel}, Node ${m.node}. `
      + `${r.pinned ? 'Server on CPU 0, load generator on CPU 1 (taskset).' : 'taskset missing: processes not pinned.'} `
      + `Each figure is the median of ${r.timing.runs} run${r.timing.runs > 1 ? 's' : ''} of ${r.timing.duration} s, each after ${r.timing.warmup} s of discarded warm-up; `
      + `servers are restarted for every load and take turns run by run. The whole run took ${Math.round(r.elapsedSeconds)} s.`,
    '',
    '### Targets',
    '',
    ...targetsTable(r),
    '',
    '### Throughput and latency',
    '',
    'msgs/s: round trips per second (streaming: 64 KiB chunks echoed per second); spread: half the range of the runs around their median. MB/s: echoed bytes per second, one way. '
      + 'Latency: request/response round trip (streaming: first byte of a chunk sent → last byte echoed). '
      + 'CPU: % of one core over the measured window; a load generator near 100% means the figure is the box\'s ceiling, not the server\'s. '
      + 'server µs/msg: server CPU time per message, what a message costs the server whichever side is the bottleneck. '
      + 'waits/msg: times the server blocked in the kernel (voluntary context switches) per message, measured without tracing.',
    '',
    ...mainTable(r),
    '',
    ...(keptNoisy ? ['† other processes on the box used more than 5% of a core during at least one of these runs, even after retries.', ''] : []),
    ...(noisy ? [`${noisy} run${noisy > 1 ? 's were' : ' was'} discarded and repeated because other processes used CPU meanwhile.`, ''] : []),
    ...chartLinks,
    '',
    '### System calls per message',
    '',
    r.strace
      ? `\`strace -c -f\` attached to every thread of the warmed-up server for ${r.timing.syscallSeconds} s of the same load; calls divided by messages echoed meanwhile (connection set-up included). `
        + 'Tracing slows every server, and a server that batches completions batches more when slowed, so read these as the shape of each server\'s system-call use; the waits/msg column above is the untraced cross-check.'
      : 'strace is not installed here: system calls were not counted (waits/msg above is the untraced stand-in).',
    '',
    ...(r.strace ? syscallTable(r) : []),
  ];
  return out.join('\n');
}

/** The summary printed on the terminal. */
export function textReport(r: BenchResults): string {
  const header = ['load', 'server', 'msgs/s', 'MB/s', 'x net', 'p50us', 'p99us', 'p999us', 'p99 x net', 'srvCPU', 'us/msg', 'lgCPU', 'sys/msg'];
  const rows: string[][] = [header];
  for (const load of r.loads) {
    for (const spec of r.servers) {
      const cell = cellOf(r, spec.id, load.id);
      const s = cell?.summary;
      if (!s) {
        rows.push([load.label, spec.id, `failed: ${cell?.failure ?? 'not run'}`]);
        continue;
      }
      rows.push([load.label, spec.id, fmtRate(s.msgs_per_s), fmtMB(s.bytes_per_s), fmtX(ratio(r, load, spec.id, BASELINE)), fmtUs(s.p50_us), fmtUs(s.p99_us), fmtUs(s.p999_us),
        fmtX(p99Ratio(r, load, spec.id)), fmtPct(s.server_cpu_pct), fmtN(s.server_us_per_msg, 1), fmtPct(s.loadgen_cpu_pct), cell.syscalls ? fmtN(cell.syscalls.perMessage) : '']);
    }
  }
  const full = rows.filter((row) => row.length === header.length);
  const widths = header.map((_, i) => Math.max(...full.map((row) => row[i].length)));
  return rows.map((row) => (row.length < header.length ? row.join('  ') : row.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))).join('\n');
}
