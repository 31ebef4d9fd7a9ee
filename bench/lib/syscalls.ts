import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { exited, sleep, spawnTracked, stop } from './processes';

/** System calls a server made while it echoed `messages` messages. */
export interface SyscallCount {
  messages: number;
  total: number;
  perMessage: number;
  /** Busiest system calls, most calls first. */
  top: { name: string; calls: number }[];
}

let straceAvailable: boolean | undefined;

/** Whether strace can be run here. */
export function canStrace(): boolean {
  if (straceAvailable === undefined) {
    try {
      execFileSync('strace', ['-V'], { stdio: 'ignore' });
      straceAvailable = true;
    } catch {
      straceAvailable = false;
    }
  }
  return straceAvailable;
}

/** Parses `strace -c` output: the per-syscall rows and the total row. */
export function parseStraceSummary(text: string): { total: number; rows: { name: string; calls: number }[] } {
  const rows: { name: string; calls: number }[] = [];
  let total = 0;
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5 || !/^\d+\.\d+$/.test(cols[0])) continue;
    const calls = Number(cols[3]);
    const name = cols[cols.length - 1];
    if (name === 'total') total = calls;
    else rows.push({ name, calls });
  }
  rows.sort((a, b) => b.calls - a.calls);
  return { total, rows };
}

/**
 * Attaches `strace -c -f` to every thread of pid, runs drive() (which
 * returns how many messages it had echoed), detaches and counts. strace
 * slows the server down, so a server that batches will batch more under it:
 * the counts are an estimate of the shape, not a measurement at full speed.
 */
export async function countSyscalls(pid: number, outFile: string, drive: () => Promise<number>): Promise<SyscallCount> {
  fs.rmSync(outFile, { force: true });
  const strace = spawnTracked('strace', ['-c', '-f', '-p', String(pid), '-o', outFile]);
  let attached = '';
  strace.stderr!.on('data', (d: Buffer) => (attached += d.toString()));
  for (let waited = 0; !/attached/.test(attached); waited += 20) {
    if (waited > 5000 || strace.exitCode !== null) throw new Error(`strace did not attach to ${pid}: ${attached.trim()}`);
    await sleep(20);
  }
  let messages: number;
  try {
    messages = await drive();
  } finally {
    await stop(strace, 5000, 'SIGINT');
    await exited(strace);
  }
  const { total, rows } = parseStraceSummary(fs.readFileSync(outFile, 'utf8'));
  return { messages, total, perMessage: messages > 0 ? total / messages : NaN, top: rows.slice(0, 6) };
}
