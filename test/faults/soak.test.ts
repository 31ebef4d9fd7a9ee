/**
 * The soak script (bench/soak.ts) as part of the suite, on every backend:
 * a short run with every reply verified (2,000 connections × 5 s: 5 s, not
 * 10, keeps the suite's time down), and the close and SIGTERM of 10,000
 * open connections. The script runs the server as a child process
 * and the clients in its own, so neither holds more than one fd per
 * connection (the hard fd limit here is 20,000: one process could not hold
 * 10,000 pairs). It raises its own RLIMIT_NOFILE.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backends } from '../support/backends';
import { noChildNode, onlyOnLinux, skipNote } from '../support/platform';

const SOAK = join(__dirname, '..', '..', 'dist', 'bench', 'soak.js');
const skip = onlyOnLinux ?? noChildNode;

/** What the soak prints with --json (its last line). */
interface Report {
  backend: string;
  connections: number;
  linesVerified: number;
  errors: string[];
  fds: { before: number; open: number; after: number };
  rssBefore: number;
  rssAfterClose: [number, number][];
  shutdown: { seconds: number; code: number | null; summary: string };
}

/**
 * Load per backend. aio is sized down: each pending socket read holds one
 * of glibc's workers (256 here) for a 50 ms slice, so past a few hundred
 * connections every read waits its turn; 2,000 connections take about a
 * minute just to open, 10,000 far longer (docs/benchmarks.md, Soak).
 */
const LOAD: Record<string, { soak: number; many: number; why?: string }> = {
  aio: { soak: 300, many: 500, why: 'aio: each waiting read holds one of 256 glibc workers for a 50 ms slice, so opening is quadratic: 1,000 take 27 s, 10,000 would take many minutes' },
};
const load = (backend: string) => LOAD[backend] ?? { soak: 2000, many: 10_000 };

function runSoak(args: string[], limitMs: number): Promise<{ code: number | null; out: string; report: Report }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SOAK, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code) => {
      clearTimeout(killer);
      const json = out.trim().split('\n').pop()!;
      try {
        resolve({ code, out, report: JSON.parse(json) as Report });
      } catch {
        reject(new Error(`the soak ended (${code}) without its report:\n${out.slice(-3000)}`));
      }
    });
  });
}

(skip ? describe.skip : describe).each(backends)(`the soak on %s${skipNote(skip)}`, (backend) => {
  const { soak, many, why } = load(backend);
  const note = why ? ` (${why})` : '';

  // The server gives its memory back 1 s after the spike (a spike is 1,000 connections or more).
  const releases = soak >= 1000;
  const memory = releases ? ', give back the memory the spike took,' : '';
  it(`should verify every reply of ${soak} connections × 5 s, then close them all${memory} and stop on SIGTERM with them open${note}`, async () => {
    const { code, out, report } = await runSoak(['--backend', backend, '--connections', String(soak), '--seconds', '5', '--settle', '3', '--release-memory', '1000'], 170_000);
    expect(report.errors).toEqual([]);
    expect(code).toBe(0);
    expect(report.backend).toBe(backend);
    // Each connection verified at least its first line, twice (once per opening).
    expect(report.linesVerified).toBeGreaterThan(soak);
    expect(report.fds.open).toBeGreaterThanOrEqual(report.fds.before + soak);
    expect(report.fds.after).toBe(report.fds.before);
    // The server's RSS, sampled when the last connection closed and at each of the 3 s after.
    expect(report.rssBefore).toBeGreaterThan(0);
    expect(report.rssAfterClose.map(([t]) => t)).toEqual([0, 1, 2, 3]);
    expect(report.rssAfterClose.every(([, mb]) => mb > 0)).toBe(true);
    // Back near where it started (without the release: 109 MiB against 57 at 2,000 connections on uring).
    if (releases) expect(report.rssAfterClose[3][1]).toBeLessThanOrEqual(report.rssBefore + 24);
    expect(report.shutdown.code).toBe(0);
    expect(report.shutdown.summary).toMatch(new RegExp(`^${2 * soak} connections accepted, ${soak} open at shutdown, ${2 * soak} closed, 0 left open; \\d+ lines echoed, 0 lines too long, 0 connections failed, 0 timed out$`));
    expect(out).toMatch(/^soak: ok$/m);
  }, 180_000);

  it(`should close the ${many} connections its clients close, then stop on SIGTERM with ${many} open, leaking no fd${note}`, async () => {
    const { code, report } = await runSoak(['--backend', backend, '--connections', String(many), '--seconds', '0', '--settle', '0'], 170_000);
    expect(report.errors).toEqual([]);
    expect(code).toBe(0);
    expect(report.fds.open).toBeGreaterThanOrEqual(report.fds.before + many);
    expect(report.fds.after).toBe(report.fds.before);
    expect(report.shutdown.code).toBe(0);
    expect(report.shutdown.summary).toMatch(new RegExp(`^${2 * many} connections accepted, ${many} open at shutdown, ${2 * many} closed, 0 left open;`));
  }, 180_000);
});

/** This process's hard RLIMIT_NOFILE, which the soak inherits; undefined when unlimited. */
function hardNofile(): number | undefined {
  const hard = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!.split(/\s+/)[4];
  return hard === 'unlimited' ? undefined : Number(hard);
}
const hard = skip ? undefined : hardNofile();
const noLimit = skip ?? (hard === undefined ? 'RLIMIT_NOFILE is unlimited here: no count of connections is over it' : undefined);

(noLimit ? describe.skip : describe)(`the soak's limits${skipNote(noLimit)}`, () => {
  it('should say plainly, and exit 2, when the connections asked for cannot fit the fd limit', async () => {
    // As many connections as the hard limit: with the fds Node needs besides, they cannot fit.
    const asked = hard!;
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [SOAK, '--connections', String(asked), '--seconds', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (text += d));
      child.on('close', (c) => resolve({ code: c, out: text }));
    });
    expect(code).toBe(2);
    const most = hard! - 200;
    expect(out).toBe(
      `soak: ${asked} connections need about ${asked + 200} file descriptors in this process and as many in the server, but RLIMIT_NOFILE is ${hard} here ` +
        `(hard limit ${hard}; raising the hard limit needs CAP_SYS_RESOURCE). At most ${most} connections fit: run with --connections ${most} or fewer.\n`,
    );
  });
});

(noChildNode ? describe.skip : describe)(`the soak's flags${skipNote(noChildNode)}`, () => {
  it.each([
    [['--connections', '-5'], /^soak: --connections and --pipeline must be whole numbers ≥ 1/],
    [['--connections', '0x10'], /^soak: --connections and --pipeline must be whole numbers ≥ 1/],
    [['--seconds', '1e3'], /^soak: --connections and --pipeline must be whole numbers ≥ 1/],
    [['--bogus'], /^soak: Unknown option '--bogus'/],
  ])('should refuse %j with the usage and exit 2', (args, said) => {
    const run = spawnSync(process.execPath, [SOAK, ...args], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(said);
    expect(run.stderr).toMatch(/\nusage: node dist\/bench\/soak\.js /);
  });
});

(skip ? describe.skip : describe)(`the soak stopped by a signal${skipNote(skip)}`, () => {
  it('should take its server along, leaving no process behind', async () => {
    const child = spawn(process.execPath, [SOAK, '--connections', '10', '--seconds', '60', '--settle', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    // The soak's server: its child process running MainServer, once there is one.
    const serverOf = (pid: number): number | undefined => {
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
          const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
          const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          if (parent === pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('MainServer.js')) return Number(entry);
        } catch {
          // gone meanwhile
        }
      }
      return undefined;
    };
    let server: number | undefined;
    for (let i = 0; i < 100 && server === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      server = serverOf(child.pid!);
    }
    expect(server).toBeDefined();
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(stderr).toMatch(/soak: SIGTERM: stopped, and its server with it\n/);
    // Gone, or dead and waiting for init to reap it.
    const alive = (pid: number): boolean => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && alive(server!); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(server!)).toBe(false);
  }, 30_000);
});
