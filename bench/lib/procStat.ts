import * as fs from 'node:fs';

/** CPU ticks (USER_HZ) and voluntary context switches of one process, all threads. */
export interface ProcSample {
  ticks: number;
  voluntarySwitches: number;
}

/** Linux's USER_HZ: /proc reports CPU time in these. */
export const TICKS_PER_SECOND = 100;

function statFields(pid: number | string): string[] | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of a live process (0 when it is gone). */
export function processTicks(pid: number): number {
  const f = statFields(pid);
  return f ? Number(f[11]) + Number(f[12]) : 0;
}

/** CPU ticks and voluntary context switches (blocking waits) summed over the process's threads. */
export function sampleProcess(pid: number): ProcSample {
  let voluntarySwitches = 0;
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
        const m = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(status);
        if (m) voluntarySwitches += Number(m[1]);
      } catch {
        // the thread ended
      }
    }
  } catch {
    // the process ended
  }
  return { ticks: processTicks(pid), voluntarySwitches };
}

/** Ticks the hypervisor gave to other guests (steal time), over all CPUs. */
function stealTicks(): number {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    return Number(cpu[8] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * CPU ticks of every user process except `ours` (the benchmark's own),
 * counting reaped children through their parents (cutime, cstime), so
 * short-lived compilers are seen too, plus the steal time of a virtual
 * machine. Kernel threads are left out.
 */
export function foreignTicks(ours: ReadonlySet<number>): number {
  let total = stealTicks();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (ours.has(pid) || pid === 2) continue;
    const f = statFields(pid);
    if (!f || f[1] === '2') continue;
    total += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return total;
}
