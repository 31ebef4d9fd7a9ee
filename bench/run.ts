/**
 * `npm run bench`: echo servers under a C load generator, side by side —
 * the framework on every backend × dispatch strategy, Node's `net` (the
 * reactor on the same box) and a C io_uring server (the ceiling).
 *
 * Flags: --quick (or BENCH_QUICK=1), --runs N, --warmup S, --duration S,
 * --servers id,id (also variants: uring/post-reactive+defer-taskrun+sqpoll)
 * --loads id,id  --no-strace  --docs FILE  --no-docs,
 * --noise-retries N (how often a noisy run is repeated; 0 keeps it, marked †),
 * --memory (measure memory per idle connection; a full run does),
 * --memory-only (that and no load), --no-memory,
 * --from-results FILE (no measuring: report a saved bench/out/results.json).
 * Quick runs do not touch docs/ unless --docs is given. The main generated
 * section of docs/benchmarks.md is rewritten by a full run (every default
 * server and load) or when --docs is given; the Reactor-vs-Proactor section
 * by any run with at least two of its servers, the memory section by any
 * run that measured memory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildC } from './lib/build';
import { compareReport, memoryReport } from './lib/compareReport';
import { writeGeneratedSection } from './lib/docs';
import { type Load, type RunResult, runLoadgen } from './lib/loadgen';
import { fullLoads, quickLoads } from './lib/loads';
import { describeMachine } from './lib/machine';
import { IDLE_CONNECTIONS, measureMemory, memorySpecs, raiseNofile } from './lib/memory';
import { canPin, killAll, sleep, stop } from './lib/processes';
import { NOISE_LIMIT_PCT, waitForQuiet } from './lib/quiet';
import { markdownReport, textReport, writeCharts } from './lib/report';
import { type BenchResults, type Cell, summarize } from './lib/results';
import { COMPARED, type Paths, type RunningServer, type ServerSpec, serverSpecs, startServer, variantSpec } from './lib/servers';
import { canStrace, countSyscalls } from './lib/syscalls';

const SERVER_CPU = 0;
const LOADGEN_CPU = 1;
/** Noisy runs (other processes took CPU) are repeated this many times, unless --noise-retries says otherwise. */
const NOISE_RETRIES = 3;
/** How long to wait for other processes to go quiet before repeating a noisy run. */
const QUIET_WAIT_MS = 60000;

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.BENCH_QUICK === '1' },
    runs: { type: 'string' },
    warmup: { type: 'string' },
    duration: { type: 'string' },
    servers: { type: 'string' },
    loads: { type: 'string' },
    'no-strace': { type: 'boolean', default: false },
    docs: { type: 'string' },
    'no-docs': { type: 'boolean', default: false },
    'from-results': { type: 'string' },
    'noise-retries': { type: 'string' },
    memory: { type: 'boolean', default: false },
    'memory-only': { type: 'boolean', default: false },
    'no-memory': { type: 'boolean', default: false },
  },
});

const noiseRetries = Number(flags['noise-retries'] ?? NOISE_RETRIES);
const root = path.resolve(__dirname, '../..');
const paths: Paths = { root, distBench: __dirname, out: path.join(root, 'bench/out') };
const log = (s: string) => process.stderr.write(`${s}\n`);

function frameworkBackends(): string[] {
  if (process.env.BENCH_BACKENDS) return process.env.BENCH_BACKENDS.split(',').filter(Boolean);
  try {
    const { ProactorFactory } = require('../framework/proactor/ProactorFactory') as typeof import('../framework/proactor/ProactorFactory');
    return ProactorFactory.availableBackends();
  } catch (e) {
    log(`framework unavailable, benchmarking the reference servers only: ${(e as Error).message}`);
    return [];
  }
}

function pick<T extends { id: string }>(all: T[], wanted: string | undefined, extra: (id: string) => T | undefined = () => undefined): T[] {
  if (!wanted) return all;
  return wanted.split(',').map((id) => {
    const found = all.find((x) => x.id === id) ?? extra(id);
    if (!found) throw new Error(`unknown id ${id}; known: ${all.map((x) => x.id).join(', ')}`);
    return found;
  });
}

async function measure(server: RunningServer, load: Load, cell: Cell, ours: Set<number>, warmup: number, duration: number): Promise<void> {
  const binary = path.join(paths.out, 'loadgen');
  for (let attempt = 0; ; attempt++) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      cell.failure = `server exited (${server.child.exitCode ?? server.child.signalCode})`;
      return;
    }
    let result: RunResult;
    try {
      result = await runLoadgen({ binary, port: server.port, load, warmup, duration, cpu: LOADGEN_CPU, serverPid: server.pid, ours });
    } catch (e) {
      cell.failure = (e as Error).message;
      return;
    }
    if (result.errors > 0) {
      cell.failure = `echo check failed: ${result.first_error}`;
      return;
    }
    const noisy = result.foreign_cpu_pct > NOISE_LIMIT_PCT;
    if (noisy && attempt < noiseRetries) {
      cell.discardedNoisy++;
      log(`    ${server.spec.id}: other processes took ${result.foreign_cpu_pct.toFixed(0)}% of a core; repeating when the box is quiet`);
      await waitForQuiet(ours, QUIET_WAIT_MS);
      continue;
    }
    if (noisy) cell.keptNoisy++;
    cell.runs.push(result);
    log(`    ${server.spec.id.padEnd(26)} ${Math.round(result.msgs_per_s).toString().padStart(8)} msgs/s  p99 ${result.p99_us.toFixed(0).padStart(6)} µs  server ${result.server_cpu_pct.toFixed(0)}%  loadgen ${result.cpu_pct.toFixed(0)}%`);
    return;
  }
}

async function countServerSyscalls(server: RunningServer, load: Load, cell: Cell, ours: Set<number>, seconds: number): Promise<void> {
  const binary = path.join(paths.out, 'loadgen');
  const file = path.join(paths.out, `strace-${server.spec.id.replace(/\//g, '-')}-${load.id.replace(/\//g, '-')}.txt`);
  try {
    cell.syscalls = await countSyscalls(server.pid, file, async () => {
      const r = await runLoadgen({ binary, port: server.port, load, warmup: 0, duration: seconds, cpu: LOADGEN_CPU, ours });
      if (r.errors > 0) throw new Error(`echo check failed under strace: ${r.first_error}`);
      return r.total_msgs;
    });
    log(`    ${server.spec.id.padEnd(26)} ${cell.syscalls.perMessage.toFixed(2)} syscalls/msg (${cell.syscalls.top.slice(0, 3).map((t) => t.name).join(', ')})`);
  } catch (e) {
    cell.syscallFailure = (e as Error).message;
    log(`    ${server.spec.id}: syscalls not counted: ${cell.syscallFailure}`);
  }
}

async function benchLoad(load: Load, specs: ServerSpec[], results: BenchResults): Promise<void> {
  const { warmup, duration, runs, syscallSeconds } = results.timing;
  log(`== ${load.label} (${load.mode}, ${load.conns} connections, ${load.size} B)`);
  const cells = new Map<string, Cell>();
  const running: RunningServer[] = [];
  for (const spec of specs) {
    const cell: Cell = { server: spec.id, load: load.id, runs: [], discardedNoisy: 0, keptNoisy: 0 };
    cells.set(spec.id, cell);
    results.cells.push(cell);
    try {
      running.push(await startServer(spec, canPin() ? SERVER_CPU : undefined, path.join(paths.out, `server-${spec.id.replace(/\//g, '-')}.log`)));
    } catch (e) {
      cell.failure = (e as Error).message;
      log(`    ${spec.id}: ${cell.failure}`);
    }
  }
  const ours = new Set([process.pid, ...running.map((s) => s.pid)]);
  try {
    for (let run = 0; run < runs; run++) {
      // Servers take turns, in a different order each run, so drift hits them alike.
      const order = running.map((_, i) => running[(i + run) % running.length]);
      for (const server of order) {
        const cell = cells.get(server.spec.id)!;
        if (cell.failure) continue;
        await measure(server, load, cell, ours, warmup, duration);
        await sleep(200);
      }
    }
    for (const cell of cells.values()) if (cell.runs.length > 0) cell.summary = summarize(cell.runs);
    // Every server's under the loads marked so; the compared servers' under every load.
    const traced = running.filter((s) => load.syscalls || COMPARED.includes(s.spec.id));
    if (results.strace && traced.length > 0) {
      log('  system calls (strace -c -f):');
      for (const server of traced) {
        const cell = cells.get(server.spec.id)!;
        if (!cell.failure) await countServerSyscalls(server, load, cell, ours, syscallSeconds);
      }
    }
  } finally {
    await Promise.all(running.map((s) => stop(s.child)));
  }
}

/** full: the run measured every default server under every default load (the main section may be rewritten). */
function report(results: BenchResults, quick: boolean, full: boolean): void {
  if (results.cells.length > 0) process.stdout.write(`\n${textReport(results)}\n`);
  const compared = compareReport(results);
  const memory = memoryReport(results);
  if (memory) process.stdout.write(`\n${memory}\n`);
  const docs = flags.docs ?? (quick || flags['no-docs'] ? undefined : path.join(root, 'docs/benchmarks.md'));
  if (!docs || flags['no-docs']) return;
  const written: string[] = [];
  if (results.cells.length > 0 && (full || flags.docs)) {
    writeGeneratedSection(docs, markdownReport(results, writeCharts(results, docs)));
    written.push('results');
  }
  if (compared) {
    writeGeneratedSection(docs, compared, 'Reactor vs Proactor');
    written.push('Reactor vs Proactor');
  }
  if (memory) {
    writeGeneratedSection(docs, memory, 'memory per connection');
    written.push('memory per connection');
  }
  if (written.length > 0) log(`wrote ${written.join(', ')} in ${path.relative(process.cwd(), docs) || docs}`);
}

async function benchMemory(results: BenchResults, backends: readonly string[]): Promise<void> {
  const nofile = raiseNofile();
  // This process holds one end of each connection, the server the other.
  const connections = Math.min(IDLE_CONNECTIONS, nofile - 200);
  log(`== memory: ${connections} idle connections per server (RLIMIT_NOFILE ${nofile})`);
  results.memory = [];
  for (const spec of memorySpecs(paths, backends)) {
    const m = await measureMemory(spec, connections, canPin() ? SERVER_CPU : undefined, paths.out);
    results.memory.push(m);
    log(m.failure ? `    ${spec.id}: ${m.failure}` : `    ${spec.id.padEnd(34)} ${(m.bytesPerConnection / 1024).toFixed(2)} KiB per connection`);
  }
}

async function main(): Promise<void> {
  if (flags['from-results']) {
    const saved = JSON.parse(fs.readFileSync(flags['from-results'], 'utf8')) as BenchResults;
    for (const cell of saved.cells) if (cell.runs.length > 0) cell.summary = summarize(cell.runs);
    return report(saved, saved.quick, true);
  }
  const quick = flags.quick!;
  const started = Date.now();
  const timing = {
    warmup: Number(flags.warmup ?? (quick ? 0.5 : 1)),
    duration: Number(flags.duration ?? (quick ? 1 : 1.5)),
    runs: Number(flags.runs ?? (quick ? 1 : 5)),
    syscallSeconds: quick ? 1 : 2,
  };
  buildC(paths);
  const backends = frameworkBackends();
  const specs = pick(serverSpecs(paths, backends), flags.servers, (id) => variantSpec(paths, id));
  const loads = flags['memory-only'] ? [] : pick(quick ? quickLoads() : fullLoads(), flags.loads);
  const full = !quick && !flags.servers && !flags.loads && !flags['memory-only'];
  const memory = !flags['no-memory'] && (flags.memory || flags['memory-only'] || full);
  const strace = !flags['no-strace'] && canStrace();
  if (!strace) log(flags['no-strace'] ? 'system calls not counted (--no-strace)' : 'strace is not installed: system calls not counted');
  if (!canPin()) log('taskset is not available: server and load generator are not pinned');
  const tracedCells = loads.reduce((n, l) => n + specs.filter((s) => l.syscalls || COMPARED.includes(s.id)).length, 0);
  const estimate = loads.length * specs.length * timing.runs * (timing.warmup + timing.duration + 0.5) + (strace ? tracedCells * (timing.syscallSeconds + 1) : 0);
  if (loads.length > 0) log(`servers: ${specs.map((s) => s.id).join(', ')}; ${loads.length} loads; about ${Math.ceil(estimate / 60)} min`);

  const results: BenchResults = {
    startedAt: new Date(started).toISOString(),
    elapsedSeconds: 0,
    quick,
    machine: describeMachine(root),
    pinned: canPin(),
    strace,
    timing,
    loads,
    servers: flags['memory-only'] ? [] : specs,
    cells: [],
    loadAverage: os.loadavg(),
  };
  for (const load of loads) await benchLoad(load, specs, results);
  if (memory) await benchMemory(results, backends);
  results.elapsedSeconds = (Date.now() - started) / 1000;

  fs.writeFileSync(path.join(paths.out, 'results.json'), JSON.stringify(results, null, 2));
  report(results, quick, full);
  log(`raw results: ${path.join(paths.out, 'results.json')}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}
process.on('exit', killAll);

main().catch((e) => {
  log(`bench failed: ${(e as Error).stack ?? e}`);
  killAll();
  process.exitCode = 1;
});
