import { closeSync, constants, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errnoName } from '../../framework/common/errno';
import { loadNative } from '../../framework/native/loadNative';
import { type NativeFile } from '../../framework/native/NativeBinding';
import { expectNoFdLeaks } from '../support/leaks';
import { skipNote } from '../support/platform';

const file = loadNative().file;
const noFile = file ? undefined : `this build has no openBeneath (the ${process.platform} build: DocumentRoot keeps its JS check)`;

// openBeneath (openat2) and the walk it falls back to where openat2 is missing answer alike.
(noFile ? describe.skip : describe).each(['openBeneath', 'openBeneathByWalk'] as const)(`%s${skipNote(noFile)}`, (name) => {
  expectNoFdLeaks();
  let base: string;
  let root: number;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'jaws-beneath-'));
    const www = join(base, 'www');
    mkdirSync(join(www, 'docs', 'deep'), { recursive: true });
    writeFileSync(join(base, 'secret.txt'), 'outside');
    writeFileSync(join(www, 'docs', 'a.txt'), 'aaaa');
    writeFileSync(join(www, 'docs', 'deep', 'b.txt'), 'bb');
    symlinkSync('docs/a.txt', join(www, 'in-link'));
    symlinkSync('docs', join(www, 'docs-link'));
    symlinkSync(join(base, 'secret.txt'), join(www, 'out-file'));
    symlinkSync(base, join(www, 'out-dir'));
    root = openSync(www, constants.O_RDONLY | constants.O_DIRECTORY);
  });
  afterAll(() => {
    closeSync(root);
    rmSync(base, { recursive: true, force: true });
  });

  const open = (path: string): string | number => {
    const fd = (file![name] as NativeFile['openBeneath'])(root, path, constants.O_RDONLY | constants.O_NONBLOCK);
    if (fd < 0) return errnoName(-fd);
    try {
      return fstatSync(fd).isDirectory() ? 'directory' : readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  };

  it.each([
    ['a file', 'docs/a.txt', 'aaaa'],
    ['a file two directories down', 'docs/deep/b.txt', 'bb'],
    ['a path with . and empty components', './docs//deep/./b.txt', 'bb'],
    ['the directory itself', '.', 'directory'],
    ['a directory', 'docs', 'directory'],
    ['a link that stays inside, as the last component', 'in-link', 'ELOOP'],
    ['a link that stays inside, as a directory', 'docs-link/a.txt', 'ELOOP'],
    ['a link to a file outside', 'out-file', 'ELOOP'],
    ['a link to a directory outside', 'out-dir/secret.txt', 'ELOOP'],
    ['a .. that stays inside', 'docs/../docs/a.txt', 'EXDEV'],
    ['a .. that leads out', '../secret.txt', 'EXDEV'],
    ['an absolute path', join(tmpdir(), 'x'), 'EXDEV'],
    ['a missing file', 'docs/nope', 'ENOENT'],
    ['a missing directory', 'nope/a.txt', 'ENOENT'],
    ['a path through a file', 'docs/a.txt/x', 'ENOTDIR'],
    ['a file named with a trailing slash', 'docs/a.txt/', 'ENOTDIR'],
    ['a file named with a trailing /.', 'docs/a.txt/.', 'ENOTDIR'],
    ['a directory named with a trailing slash', 'docs/', 'directory'],
    ['a link to a directory named with a trailing slash', 'docs-link/', 'ELOOP'],
  ])('should open %s (%s) as %s', (_what, path, expected) => {
    expect(open(path)).toBe(expected);
  });

  it('should open close-on-exec', () => {
    const fd = file![name](root, 'docs/a.txt', constants.O_RDONLY);
    expect(fd).toBeGreaterThanOrEqual(0);
    try {
      // FD_CLOEXEC shows in /proc/self/fdinfo's flags (octal 02000000).
      const flags = /flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1];
      expect(parseInt(flags, 8) & 0o2000000).not.toBe(0);
    } finally {
      closeSync(fd);
    }
  });

  it('should refuse a path holding a NUL', () => {
    expect(() => file![name](root, 'docs/a.txt\0x', constants.O_RDONLY)).toThrow(/NUL/);
  });
});
