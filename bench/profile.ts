/**
 * Where one server's time goes under one load: `perf record -g` of the
 * server's CPU while the load generator runs, summarised by layer (kernel,
 * JIT-compiled JS, V8/N-API, the addon) and by the frames that matter to the
 * framework (io_uring_enter, libuv's poll callback, dispatch, initiation).
 *
 * Usage: node dist/bench/profile.js [--server uring/post-reactive] [--load rr/100/64] [--seconds 4]
 * Writes bench/out/profile-<server>-<load>.txt and bench/out/perf-*.data.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildC } from './lib/build';
import { type RunResult, runLoadgen } from './lib/loadgen';
import { fullLoads, quickLoads } from './lib/loads';
import { exited, killAll, spawnTracked, stop } from './lib/processes';
import { NOISE_LIMIT_PCT, waitForQuiet } from './lib/quiet';
import { type Paths, serverSpecs, startServer, variantSpec } from './lib/servers';

const { values: flags } = parseArgs({
  options: {
    server: { type: 'string', default: 'uring/post-reactive' },
    load: { type: 'string', default: 'rr/100/64' },
    seconds: { type: 'string', default: '4' },
  },
});

const root = path.resolve(__dirname, '../..');
const paths: Paths = { root, distBench: __dirname, out: path.join(root, 'bench/out') };
const SERVER_CPU = 0;

type Row = { pct: number; comm: string; dso: string; sym: string };

function perfReport(data: string, args: string[]): string {
  return execFileSync('perf', ['report', '-i', data, '--stdio', '-g', 'none', ...args], { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Rows of `perf report --no-children --sort comm,dso,sym`. */
function selfRows(data: string): Row[] {
  const rows: Row[] = [];
  for (const line of perfReport(data, ['--no-children', '--sort', 'comm,dso,sym', '--field-separator', '\t']).split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const [pct, comm, dso, sym] = line.split('\t').map((s) => s.trim());
    if (!pct?.endsWith('%')) continue;
    rows.push({ pct: parseFloat(pct), comm, dso, sym: sym.replace(/^\[[.k]\]\s+/, '') });
  }
  return rows;
}

/** Inclusive (children) percentages by symbol. */
function inclusive(data: string): { pct: number; sym: string }[] {
  const out: { pct: number; sym: string }[] = [];
  for (const line of perfReport(data, ['--children', '--sort', 'sym', '--field-separator', '\t']).split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const [children, , sym] = line.split('\t').map((s) => s.trim());
    if (!children?.endsWith('%')) continue;
    out.push({ pct: parseFloat(children), sym: sym.replace(/^\[[.k]\]\s+/, '') });
  }
  return out;
}

function layer(r: Row, serverComm: string): string {
  if (r.comm === 'swapper') return 'idle';
  if (r.comm !== serverComm && !r.comm.startsWith('node') && !r.comm.startsWith('libuv') && !r.comm.startsWith('iou-')) return `other processes`;
  if (r.dso === '[kernel.kallsyms]') return 'kernel (system calls, TCP/IP, io_uring)';
  if (r.dso.startsWith('[JIT]') || r.dso.startsWith('perf-')) return 'JS, JIT-compiled';
  if (r.dso.includes('ace_proactor')) return 'addon (ace_proactor.node)';
  if (r.dso === 'node') {
    if (/^napi_|v8impl|node_napi_env|Napi::/.test(r.sym)) return 'N-API entry points (node)';
    if (/Heap|Scaveng|MarkCompact|Sweep|Marking|GC|Evacuat/.test(r.sym)) return 'V8 garbage collector';
    if (/^Builtins_(Set|Map|OrderedHash)|OrderedHashTable|Runtime_Set|GetOrCreateIdentityHash/.test(r.sym)) return 'V8 Set/Map builtins';
    return 'V8 builtins, runtime and Node';
  }
  if (/libc|libstdc|ld-linux|libm/.test(r.dso)) return 'libc / libstdc++';
  return r.dso;
}

const FRAMES: [string, RegExp][] = [
  ['io_uring_enter(2), with the TCP work done inside it', /__do_sys_io_uring_enter|__x64_sys_io_uring_enter/],
  ['epoll_wait(2)', /^do_epoll_wait$/],
  ['read(2) (eventfd, sockets)', /^ksys_read$/],
  ['write(2)', /^ksys_write$/],
  ['softirq (loopback delivery) in any context', /^handle_softirqs$|^__do_softirq$/],
  ['libuv poll phase: uv__io_poll', /^uv__io_poll$/],
  ['  ProactorBinding::OnPoll (post-reactive wake)', /ProactorBinding::OnPoll$/],
  ['setImmediate phase (post-reactive: drain past the per-wake batch limit; call-through: its whole loop)', /node::Environment::CheckImmediate$/],
  ['task work run on return to user (IPI from the other CPU)', /^task_work_run$/],
  ['JS drain()', /^JS:.drain .*NativeProactorImpl/],
  ['  JS dispatchBatch()', /^JS:.dispatchBatch /],
  ['    JS AsynchResult.complete() → handler', /^JS:.complete .*AsynchResult/],
  ['      JS AsynchOperation.start() (initiation)', /^JS:.start .*AsynchOperation/],
  ['        native read/write prepare (N-API)', /ProactorBinding::ReadWrite$/],
  ['  native submit (N-API → io_uring_enter)', /ProactorBinding::Submit$/],
  ['  native reap (CQ → Int32Array)', /ProactorBinding::Reap$/],
  ['N-API callback wrapper, all native calls', /FunctionCallbackWrapper::Invoke$/],
  ['napi_unwrap', /^napi_unwrap$/],
  ['V8 garbage collection', /v8::internal::Heap::CollectGarbage$/],
];

function table(rows: [string, number][], usPerPct: number): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v.toFixed(1).padStart(5)}%  ${(v * usPerPct).toFixed(2).padStart(6)} µs/msg`).join('\n');
}

async function main(): Promise<void> {
  buildC(paths);
  const seconds = Number(flags.seconds);
  const load = [...fullLoads(), ...quickLoads()].find((l) => l.id === flags.load);
  if (!load) throw new Error(`unknown load ${flags.load}; one of ${fullLoads().map((l) => l.id).join(', ')}`);
  const backend = flags.server!.includes('/') ? flags.server!.split('/')[0] : 'uring';
  const spec = serverSpecs(paths, [backend]).find((s) => s.id === flags.server) ?? variantSpec(paths, flags.server!);
  if (!spec) throw new Error(`unknown server ${flags.server}`);
  const isNode = spec.command === process.execPath;
  const profiled = isNode ? { ...spec, args: ['--perf-basic-prof', ...spec.args] } : spec;
  const tag = `${spec.id}-${load.id}`.replace(/\//g, '-');
  const data = path.join(paths.out, `perf-${tag}.data`);
  const server = await startServer(profiled, SERVER_CPU, path.join(paths.out, `server-${tag}.log`));
  if (!(await waitForQuiet(new Set([process.pid, server.pid]), 60000))) process.stderr.write('other processes keep using CPU: profiling anyway\n');
  let perf: ChildProcess | undefined;
  let result: RunResult;
  const ours = new Set([server.pid]);
  try {
    result = await runLoadgen({
      binary: path.join(paths.out, 'loadgen'), port: server.port, load, warmup: 1.5, duration: seconds + 1, cpu: 1, serverPid: server.pid, ours,
      onMeasure: () => {
        perf = spawnTracked('perf', ['record', '-e', 'cpu-clock', '-F', '1999', '-a', '-C', String(SERVER_CPU), '-g', '-o', data, '--', 'sleep', String(seconds)]);
        ours.add(perf.pid!);
      },
    });
    if (perf) await exited(perf);
  } finally {
    await stop(server.child);
  }
  if (!perf || perf.exitCode !== 0) throw new Error('perf record failed (is perf installed, and may it sample CPU 0?)');

  const serverComm = isNode ? 'node' : path.basename(spec.command).slice(0, 15);
  const rows = selfRows(data);
  const usPerPct = 1e6 / result.msgs_per_s / 100;
  const layers = new Map<string, number>();
  for (const r of rows) layers.set(layer(r, serverComm), (layers.get(layer(r, serverComm)) ?? 0) + r.pct);
  const incl = inclusive(data);
  const frames: [string, number][] = FRAMES.map(([label, re]) => [label, incl.filter((f) => re.test(f.sym)).reduce((a, f) => a + f.pct, 0)]);
  const shorten = (s: string) => s.replace(/ \/.*\/(dist\/)?/, ' ');
  const top = rows.filter((r) => r.comm !== 'swapper').slice(0, 30).map((r): [string, number] => [`${shorten(r.sym)}  (${r.dso.replace(/^\[|\]$/g, '')})`, r.pct]);

  const text = [
    `Profile of ${spec.id} under ${load.label} (${load.mode}): ${Math.round(result.msgs_per_s)} msgs/s, server CPU ${result.server_cpu_pct.toFixed(0)}%, loadgen CPU ${result.cpu_pct.toFixed(0)}%`
      + `, other processes ${result.foreign_cpu_pct.toFixed(0)}%${result.foreign_cpu_pct > NOISE_LIMIT_PCT ? ' (NOISY: numbers disturbed)' : ''}.`,
    `perf record -e cpu-clock -a -C ${SERVER_CPU} -g for ${seconds} s; % of CPU ${SERVER_CPU}; µs/msg = that share of the time per message.`,
    '',
    'By layer (self time):',
    table([...layers.entries()].sort((a, b) => b[1] - a[1]), usPerPct),
    '',
    'Frames (inclusive time):',
    table(frames.filter(([, v]) => v >= 0.05), usPerPct),
    '',
    'Hottest symbols (self time):',
    table(top, usPerPct),
  ].join('\n');
  const file = path.join(paths.out, `profile-${tag}.txt`);
  fs.writeFileSync(file, `${text}\n`);
  process.stdout.write(`${text}\n\nwritten to ${file}\n`);
  if (isNode) fs.rmSync(`/tmp/perf-${server.pid}.map`, { force: true });
}

process.on('exit', killAll);
main().catch((e) => {
  process.stderr.write(`profile failed: ${(e as Error).message}\n`);
  killAll();
  process.exitCode = 1;
});
