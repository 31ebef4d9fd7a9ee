import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
export const SERVER = join(ROOT, 'dist', 'applications', 'example_proactor', 'MainServer.js');
export const CLIENT = join(ROOT, 'dist', 'applications', 'example_proactor', 'MainClient.js');

/** How a child process ended, with everything it wrote. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess): { exited: Promise<Exit>; out: () => string; err: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { exited, out: () => stdout, err: () => stderr };
}

/** A running MainServer. */
export interface Server {
  pid: number;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
  /** Sends the signal and waits for the exit (bounded). */
  stop: (signal?: NodeJS.Signals) => Promise<Exit>;
}

/** Starts MainServer on 127.0.0.1, port 0, and waits for its listening line. */
export async function startServer(args: string[] = [], limitMs = 10000): Promise<Server> {
  const child = spawn(process.execPath, [SERVER, '--host', '127.0.0.1', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const { exited, out, err } = collect(child);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line after ${limitMs} ms; stderr: ${err()}`)), limitMs);
    const check = () => {
      const m = /^example_proactor server listening on 127\.0\.0\.1:(\d+) \(/m.exec(out());
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve(Number(m[1]));
    };
    child.stdout!.on('data', check);
    void exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${e.code}) before listening: ${e.stderr}`));
    });
  });
  const stop = async (signal: NodeJS.Signals = 'SIGINT'): Promise<Exit> => {
    child.kill(signal);
    const killer = setTimeout(() => child.kill('SIGKILL'), 10000);
    const exit = await exited;
    clearTimeout(killer);
    return exit;
  };
  return { pid: child.pid!, port, stdout: out, stderr: err, exited, stop };
}

/** Runs MainServer to its end: for flags it refuses, or a start that fails. */
export function runServer(args: string[], limitMs = 10000, env: NodeJS.ProcessEnv = process.env): Promise<Exit> {
  return runToEnd(SERVER, ['--host', '127.0.0.1', '--port', '0', ...args], '', limitMs, env);
}

/** Runs MainClient to its end, with stdin piped from input. */
export function runClient(args: string[], input = '', limitMs = 30000): Promise<Exit> {
  return runToEnd(CLIENT, ['--host', '127.0.0.1', ...args], input, limitMs);
}

/** A running MainClient; its stdin stays open until stop(). */
export interface Client {
  write: (text: string) => void;
  stdout: () => string;
  exited: Promise<Exit>;
  /** Ends its stdin, kills it if it still runs, and waits for the exit. */
  stop: () => Promise<Exit>;
}

/** Starts MainClient with stdin piped from the test. */
export function startClient(args: string[], limitMs = 30000): Client {
  const child = spawn(process.execPath, [CLIENT, '--host', '127.0.0.1', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const { exited, out } = collect(child);
  child.stdin!.on('error', () => undefined);
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  void exited.then(() => clearTimeout(killer));
  const stop = (): Promise<Exit> => {
    child.stdin!.end();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  };
  return { write: (text) => child.stdin!.write(text), stdout: out, exited, stop };
}

async function runToEnd(script: string, args: string[], input: string, limitMs: number, env: NodeJS.ProcessEnv = process.env): Promise<Exit> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  const { exited } = collect(child);
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(input);
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const exit = await exited;
  clearTimeout(killer);
  return exit;
}

/** Socket fds a process has open now. */
export function openSockets(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed while we looked
    }
  }
  return n;
}

/** Whether a process exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves when done() holds, or fails after limitMs saying what it waited for. */
export async function until(done: () => boolean, what: () => string, limitMs = 10000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The promise's value, or a failure saying what did not happen within limitMs. */
export async function within<T>(promise: Promise<T>, what: string, limitMs = 10000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${limitMs} ms waiting for ${what}`)), limitMs)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A raw TCP peer of the server: writes bytes, collects what comes back, knows when it closed. */
export class Peer {
  readonly socket: Socket;
  received = '';
  ended = false;
  error: string | undefined;
  readonly closed: Promise<void>;
  readonly connected: Promise<void>;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('data', (d: string) => (this.received += d));
    this.socket.on('end', () => (this.ended = true));
    this.socket.on('error', (e: NodeJS.ErrnoException) => (this.error = e.code));
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()));
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Waits until `count` reply lines have come in; returns them all. */
  async lines(count: number, limitMs = 10000): Promise<string[]> {
    await until(() => this.received.split('\n').length - 1 >= count || this.ended, () => `${count} lines (have ${JSON.stringify(this.received.slice(-200))})`, limitMs);
    return this.received.split('\n').slice(0, -1);
  }

  /** Sends one line and waits for its reply. */
  async ask(line: string): Promise<string> {
    const have = this.received.split('\n').length - 1;
    this.write(`${line}\n`);
    const all = await this.lines(have + 1);
    return all[have];
  }

  async close(): Promise<void> {
    this.socket.end();
    this.socket.destroySoon();
    await this.closed;
  }

  /** Closes with a reset (RST) instead of FIN. */
  async reset(): Promise<void> {
    this.socket.resetAndDestroy();
    await this.closed;
  }
}
