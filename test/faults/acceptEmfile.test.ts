/**
 * Fault: the process runs out of file descriptors while connections wait
 * to be accepted. The server must back off instead of retrying at once,
 * and accept the waiting connections when fds come back. Two servers, as
 * child processes whose soft RLIMIT_NOFILE leaves them a few spare fds:
 * emfileServer.ts (the Proactor's AsynchAcceptor), and the example server
 * (a Reactor acceptor handing connections to the Proactor).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { startServer } from '../applications/support';
import { backends } from '../support/backends';
import { expectNoFdLeaks } from '../support/leaks';
import { onlyOnLinux, skipNote } from '../support/platform';

const SERVER = join(__dirname, '..', '..', 'dist', 'test', 'faults', 'emfileServer.js');
const CLIENTS = 24;
const SPARE_FDS = 8;
/** The acceptors' back-off after EMFILE (AsynchAcceptor's, PassiveEventHandler's). */
const BACKOFF_MS = 100;
const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;
const skip = onlyOnLinux ?? (hasPrlimit ? undefined : 'prlimit (util-linux) is missing: no way to lower the limit');

expectNoFdLeaks();

/** The child's stdout, line by line, and a way to wait for a line. */
function lines(child: ChildProcess): { all: string[]; next: (re: RegExp, limitMs?: number) => Promise<RegExpExecArray> } {
  const all: string[] = [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    all.push(...parts);
  });
  const next = async (re: RegExp, limitMs = 10_000): Promise<RegExpExecArray> => {
    const deadline = Date.now() + limitMs;
    for (;;) {
      for (const line of all) {
        const m = re.exec(line);
        if (m) return m;
      }
      if (Date.now() > deadline) throw new Error(`no line matching ${re} after ${limitMs} ms; got ${JSON.stringify(all.slice(-10))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { all, next };
}

interface Client {
  socket: Socket;
  received: string;
  closed: boolean;
}

async function until(done: () => boolean, what: () => string, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

(skip ? describe.skip : describe).each(backends)(`an AsynchAcceptor out of file descriptors, on %s${skipNote(skip)}`, (backend) => {
  it('should back off on EMFILE without spinning, then accept and serve every waiting connection once fds come back', async () => {
    const child = spawn(process.execPath, [SERVER, backend, String(SPARE_FDS)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const out = lines(child);
    const clients: Client[] = [];
    try {
      // A child node can take seconds to start on a loaded machine.
      const port = Number((await out.next(/^listening (\d+)$/, 30_000))[1]);
      for (let i = 0; i < CLIENTS; i++) {
        const c: Client = { socket: connect(port, '127.0.0.1'), received: '', closed: false };
        c.socket.setEncoding('utf8');
        c.socket.on('data', (d: string) => (c.received += d));
        c.socket.on('error', () => undefined);
        c.socket.on('close', () => (c.closed = true));
        c.socket.write(`hello ${i}\n`);
        clients.push(c);
      }
      const emfiles = () => out.all.filter((l) => l === 'accept-error EMFILE').length;
      await until(() => emfiles() > 0, () => `an EMFILE (lines: ${JSON.stringify(out.all.slice(-5))})`);

      // Stuck with fds full: one retry per back-off, not a loop.
      const before = emfiles();
      const stallMs = 1000;
      await new Promise((resolve) => setTimeout(resolve, stallMs));
      expect(emfiles() - before).toBeLessThanOrEqual(stallMs / BACKOFF_MS + 5);
      const served = () => clients.filter((c) => c.received === `hello ${clients.indexOf(c)}\n`);
      expect(served().length).toBeLessThan(CLIENTS);

      // Close those served: their fds come back and the next ones are accepted.
      await until(
        () => {
          for (const c of served()) if (!c.socket.writableEnded) c.socket.end();
          return served().length === CLIENTS;
        },
        () => `every client's echo (${served().length} of ${CLIENTS}; lines ${JSON.stringify(out.all.slice(-5))})`,
      );
      for (const [i, c] of clients.entries()) expect(c.received).toBe(`hello ${i}\n`);
      await until(() => clients.every((c) => c.closed), () => 'every client closed');

      child.stdin!.end();
      const done = JSON.parse((await out.next(/^done (.*)$/))[1]) as { opened: number; closed: number; inflight: number; fdsAtStart: number; fdsAtEnd: number };
      expect(done.opened).toBe(CLIENTS);
      expect(done.closed).toBe(CLIENTS);
      expect(done.inflight).toBe(0);
      expect(done.fdsAtEnd).toBeLessThanOrEqual(done.fdsAtStart);
      expect(await exited).toBe(0);
    } finally {
      for (const c of clients) c.socket.destroy();
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    }
  }, 90_000);
});

/** Lowers pid's soft RLIMIT_NOFILE to the fds it has open now plus spare. */
function leaveSpareFds(pid: number, spare: number): void {
  const hard = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!.split(/\s+/)[4];
  const open = readdirSync(`/proc/${pid}/fd`).length;
  const run = spawnSync('prlimit', ['--pid', String(pid), `--nofile=${open + spare}:${hard}`], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`prlimit failed: ${run.stderr}`);
}

(skip ? describe.skip : describe).each(backends)(`the example server out of file descriptors, on %s${skipNote(skip)}`, (backend) => {
  it('should pause accepting on EMFILE, once per back-off, and serve every waiting client once fds come back', async () => {
    const server = await startServer(['--backend', backend, '--verbose']);
    const clients: Client[] = [];
    try {
      leaveSpareFds(server.pid, SPARE_FDS);
      for (let i = 0; i < CLIENTS; i++) {
        const c: Client = { socket: connect(server.port, '127.0.0.1'), received: '', closed: false };
        c.socket.setEncoding('utf8');
        c.socket.on('data', (d: string) => (c.received += d));
        c.socket.on('error', () => undefined);
        c.socket.on('close', () => (c.closed = true));
        c.socket.write(`hello ${i}\n`);
        clients.push(c);
      }
      const pauses = () => server.stderr().split('\n').filter((l) => l.endsWith('accept: EMFILE; pausing for a moment')).length;
      await until(() => pauses() > 0, () => `a pause on EMFILE (stderr: ${server.stderr().slice(-300)})`);
      const before = pauses();
      const stallMs = 1000;
      await new Promise((resolve) => setTimeout(resolve, stallMs));
      expect(pauses() - before).toBeLessThanOrEqual(stallMs / BACKOFF_MS + 5);
      const served = () => clients.filter((c, i) => c.received === `Echo - hello ${i}\n`);
      expect(served().length).toBeLessThan(CLIENTS);

      await until(
        () => {
          for (const c of served()) if (!c.socket.writableEnded) c.socket.end();
          return served().length === CLIENTS;
        },
        () => `every client's reply (${served().length} of ${CLIENTS})`,
      );
      for (const [i, c] of clients.entries()) expect(c.received).toBe(`Echo - hello ${i}\n`);
      await until(() => clients.every((c) => c.closed), () => 'every client closed');
      const exit = await server.stop('SIGTERM');
      expect(exit.code).toBe(0);
      expect(exit.stdout).toMatch(new RegExp(`stopped: ${CLIENTS} connections accepted, 0 open at shutdown, ${CLIENTS} closed, 0 left open; ${CLIENTS} lines echoed, 0 lines too long, 0 connections failed, 0 timed out\n$`));
    } finally {
      for (const c of clients) c.socket.destroy();
      await server.stop('SIGKILL');
    }
  }, 90_000);
});
