import { type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { firstLine, pinned, spawnTracked, stop } from './processes';

/** One echo server the benchmark runs. */
export interface ServerSpec {
  /** Short id: 'net', 'c-uring', 'uring/post-reactive', … */
  id: string;
  /** What the report calls it. */
  label: string;
  /** reference: not ours; framework: the Proactor; pattern: the Reactor, alone or paired with the Proactor. */
  kind: 'reference' | 'framework' | 'pattern';
  /** Backend and dispatch strategy, for framework servers. */
  backend?: string;
  dispatch?: 'post-reactive' | 'call-through' | 'pool';
  command: string;
  args: string[];
}

/** A server running, pinned. */
export interface RunningServer {
  spec: ServerSpec;
  child: ChildProcess;
  pid: number;
  port: number;
}

/** Where things are: the compiled benchmark (dist/bench) and the sources (bench/). */
export interface Paths {
  root: string;
  distBench: string;
  out: string;
}

/** The framework's epoll Reactor, non-blocking recv/send in handleInput. */
export const REACTOR = 'reactor/epoll';
/** example_proactor's pairing: the epoll Reactor accepts, an io_uring Proactor serves. */
export const PAIRING = 'pairing/uring';
/** The servers of the Reactor-vs-Proactor comparison; their system calls are counted under every load. */
export const COMPARED = ['net', REACTOR, 'uring/post-reactive', PAIRING];

export function serverSpecs(paths: Paths, backends: readonly string[]): ServerSpec[] {
  const node = process.execPath;
  const specs: ServerSpec[] = [
    { id: 'net', label: 'Node net', kind: 'reference', command: node, args: [path.join(paths.distBench, 'servers/netEchoServer.js')] },
    { id: 'c-uring', label: 'C io_uring', kind: 'reference', command: path.join(paths.out, 'c_uring_echo'), args: [] },
  ];
  if (backends.includes('epoll')) {
    specs.push({ id: REACTOR, label: 'ace Reactor (epoll)', kind: 'pattern', command: node, args: [path.join(paths.distBench, 'servers/reactorEchoServer.js'), '--reactor', 'epoll'] });
    if (backends.includes('uring')) {
      specs.push({ id: PAIRING, label: 'ace Reactor accepts, Proactor serves', kind: 'pattern', command: node,
        args: [path.join(paths.distBench, 'servers/pairingEchoServer.js'), '--reactor', 'epoll', '--backend', 'uring'] });
    }
  }
  for (const backend of backends) {
    // The pool's two threads share the server's core with everything else
    // the server runs: it shows the cost of the threads, not more CPU.
    for (const dispatch of ['post-reactive', 'call-through', 'pool'] as const) {
      specs.push({
        id: `${backend}/${dispatch}`,
        label: `ace ${backend} ${dispatch}`,
        kind: 'framework',
        backend,
        dispatch,
        command: node,
        args: [path.join(paths.distBench, 'servers/proactorEchoServer.js'), '--backend', backend, '--dispatch', dispatch],
      });
    }
  }
  return specs;
}

/** The io_uring options a variant may add, as proactorEchoServer flags. */
const VARIANT_OPTIONS = ['defer-taskrun', 'sqpoll', 'registered', 'ring', 'fixed-files', 'zc'];

/**
 * A framework server with io_uring options, named
 * `<backend>/<dispatch>+registered+fixed-files` and so on (see
 * VARIANT_OPTIONS and bench/servers/proactorEchoServer.ts).
 */
export function variantSpec(paths: Paths, id: string): ServerSpec | undefined {
  const m = new RegExp(`^([\\w-]+)/(post-reactive|call-through|pool)((?:\\+(?:${VARIANT_OPTIONS.join('|')}))+)$`).exec(id);
  if (!m) return undefined;
  const [, backend, dispatch, options] = m;
  const base = serverSpecs(paths, [backend]).find((s) => s.id === `${backend}/${dispatch}`)!;
  const extra = options.split('+').filter(Boolean).map((o) => `--${o}`);
  return { ...base, id, label: `${base.label} ${extra.join(' ')}`, args: [...base.args, ...extra] };
}

/** Starts spec on cpu and waits for the port it prints. */
export async function startServer(spec: ServerSpec, cpu: number | undefined, logFile: string): Promise<RunningServer> {
  const [command, args] = pinned(cpu, spec.command, [...spec.args, '--port', '0']);
  const child = spawnTracked(command, args, logFile);
  try {
    const line = await firstLine(child, 15000, spec.id);
    const port = Number(line);
    if (!Number.isInteger(port) || port <= 0) throw new Error(`${spec.id}: printed "${line}", not a port`);
    return { spec, child, pid: child.pid!, port };
  } catch (e) {
    await stop(child, 500);
    throw e;
  }
}
