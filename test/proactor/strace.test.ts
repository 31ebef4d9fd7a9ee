import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backends } from '../support/backends';

const root = join(__dirname, '..', '..');
const hasStrace = spawnSync('strace', ['-V']).status === 0;
const DATA_CALLS = ['read', 'write', 'readv', 'writev', 'recvfrom', 'sendto', 'recvmsg', 'sendmsg', 'pread64', 'pwrite64'];

// Without strace there is nothing to look through; the case says so rather than pass.
(hasStrace ? describe : describe.skip)('the data path under strace (skipped: strace is not installed)', () => {
  it('should move echo traffic through io_uring_enter, with no read/write family call on a socket', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ace-strace-'));
    try {
      const trace = join(dir, 'trace');
      const run = spawnSync(
        'strace',
        ['-f', '-qq', '-o', trace, '-e', `trace=${[...DATA_CALLS, 'io_uring_enter'].join(',')}`, process.execPath, 'dist/test/support/echoWorkload.js', '4', '50'],
        { cwd: root, encoding: 'utf8', env: { ...process.env, PROACTOR_BACKEND: 'uring' }, timeout: 60000 },
      );
      expect(run.status).toBe(0);
      const report = JSON.parse(run.stdout.trim().split('\n').pop()!) as { handles: number[]; messages: number; failed: string[] };
      expect(report.failed).toEqual([]);
      expect(report.messages).toBe(200);

      const lines = readFileSync(trace, 'utf8').split('\n');
      const begin = lines.findIndex((l) => l.includes('ACE-BEGIN'));
      const end = lines.findIndex((l) => l.includes('ACE-END'));
      expect(begin).toBeGreaterThanOrEqual(0);
      expect(end).toBeGreaterThan(begin);
      const window = lines.slice(begin, end);
      const sockets = new Set(report.handles);
      const onSockets = window.filter((l) => {
        const m = /^\d+\s+(\w+)\((\d+),/.exec(l);
        return m !== null && DATA_CALLS.includes(m[1]) && sockets.has(Number(m[2]));
      });
      expect(onSockets).toEqual([]);
      const enters = window.filter((l) => /^\d+\s+io_uring_enter\(/.test(l)).length;
      expect(enters).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The system calls of a workload's dispatch window, traced with strace -f. */
function traceWindow(script: string, calls: string[], env: NodeJS.ProcessEnv): { stdout: string; window: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ace-strace-'));
  try {
    const trace = join(dir, 'trace');
    const run = spawnSync('strace', ['-f', '-qq', '-o', trace, '-e', `trace=${calls.join(',')}`, process.execPath, script], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 60000,
    });
    expect(run.status).toBe(0);
    const lines = readFileSync(trace, 'utf8').split('\n');
    const begin = lines.findIndex((l) => l.includes('ACE-BEGIN'));
    const end = lines.findIndex((l) => l.includes('ACE-END'));
    expect(end).toBeGreaterThan(begin);
    return { stdout: run.stdout, window: lines.slice(begin, end) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

(hasStrace ? describe.each(backends) : describe.skip.each(backends))('a transmit-file under strace on %s (skipped: strace is not installed)', (backend) => {
  // POSIX aio cannot splice: aio copies each chunk through a native buffer
  // (aio_read of the file, aio_write to the socket), by design.
  const inKernel = backend !== 'aio';
  (inKernel ? it : it.skip)(`should move the file without reading it into user space: no read of the file, only header and trailer written${inKernel ? '' : ' (aio copies the file through native memory: POSIX aio cannot splice)'}`, () => {
    const { stdout, window } = traceWindow('dist/test/support/transmitWorkload.js', [...DATA_CALLS, 'sendfile', 'splice', 'io_uring_enter'], { PROACTOR_BACKEND: backend });
    const report = JSON.parse(stdout.trim().split('\n').pop()!) as { backend: string; file: number; socket: number; intact: boolean };
    expect([report.backend, report.intact]).toEqual([backend, true]);
    const calls = window.flatMap((l) => {
      const m = /^\d+\s+(\w+)\((\d+),.*=\s+(-?\d+)/.exec(l);
      return m ? [{ call: m[1], fd: Number(m[2]), res: Number(m[3]) }] : [];
    });
    // Nothing reads the file: its pages go to the socket inside the kernel.
    expect(calls.filter((c) => c.fd === report.file && DATA_CALLS.includes(c.call))).toEqual([]);
    // Only the header and trailer are written to the socket from user space.
    const written = calls.filter((c) => c.fd === report.socket && DATA_CALLS.includes(c.call) && c.res > 0).reduce((n, c) => n + c.res, 0);
    expect(written).toBeLessThanOrEqual(8);
    const sendfiles = calls.filter((c) => c.call === 'sendfile' && c.fd === report.socket).reduce((n, c) => n + Math.max(c.res, 0), 0);
    if (backend === 'epoll') expect(sendfiles).toBe(8 * 1024 * 1024);
    else expect(calls.filter((c) => c.call === 'io_uring_enter').length).toBeGreaterThan(0);
  });
});
