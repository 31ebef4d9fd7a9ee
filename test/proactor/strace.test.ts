import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
