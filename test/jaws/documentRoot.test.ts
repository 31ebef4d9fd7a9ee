import { closeSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { onlyOnLinux, skipNote } from '../support/platform';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DocumentRoot } from '../../applications/jaws/DocumentRoot';
import { decodeTarget } from '../../applications/jaws/RequestTarget';
import { byteRange } from '../../applications/jaws/byteRange';
import { contentType } from '../../applications/jaws/contentType';
import { expectNoFdLeaks } from '../support/leaks';

expectNoFdLeaks();

describe('request targets', () => {
  it.each([
    ['/', [], true],
    ['/a/b.html', ['a', 'b.html'], false],
    ['/dir/', ['dir'], true],
    ['/a%20b.txt?q=/../x', ['a b.txt'], false],
    ['/%E2%82%AC.txt', ['€.txt'], false],
    ['http://example.com/x/y', ['x', 'y'], false],
    ['http://example.com', [], true],
    ['/.well-known/x', ['.well-known', 'x'], false],
    ['/a..b', ['a..b'], false],
  ])('should name %s as its segments', (target, segments, dir) => {
    expect(decodeTarget(target)).toEqual({ ok: true, segments, dir });
  });

  // The traversal table: every way out of the root, raw or encoded, is refused before the file system sees it.
  it.each([
    ['raw ..', '/../etc/passwd'],
    ['raw .. inside', '/a/../../etc/passwd'],
    ['trailing ..', '/a/..'],
    ['a . segment', '/./a'],
    ['%2e%2e', '/%2e%2e/etc/passwd'],
    ['%2E%2E', '/%2E%2E/%2E%2E/etc/passwd'],
    ['.%2e', '/.%2e/etc/passwd'],
    ['double encoding %252e%252e', '/%252e%252e/etc/passwd'],
    ['double-encoded slash %252f', '/..%252f..%252fetc/passwd'],
    ['encoded slash %2f', '/..%2f..%2fetc%2fpasswd'],
    ['raw backslash', '/..\\..\\etc\\passwd'],
    ['encoded backslash %5c', '/..%5c..%5cetc%5cpasswd'],
    ['NUL', '/index.html%00.txt'],
    ['a control character', '/a%0a'],
    ['an absolute path (empty segment)', '//etc/passwd'],
    ['an absolute path, encoded', '/%2fetc/passwd'],
    ['a relative target', 'etc/passwd'],
    ['a relative target with ..', '../etc/passwd'],
    ['a bad percent-encoding', '/%zz'],
    ['a truncated percent-encoding', '/a%2'],
    ['overlong UTF-8 for .', '/%c0%ae%c0%ae/etc/passwd'],
    ['a fragment', '/a#b'],
    ['another scheme', 'file:///etc/passwd'],
    ['absolute-form with ..', 'http://h/../etc/passwd'],
  ])('should refuse %s (400)', (_what, target) => {
    const t = decodeTarget(target);
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.status).toBe(400);
  });
});

// Symlinks and /proc/self/fd, which the document root checks opened files through.
(onlyOnLinux ? describe.skip : describe)(`the document root${skipNote(onlyOnLinux)}`, () => {
  let base: string;
  let root: DocumentRoot;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'jaws-root-'));
    const www = join(base, 'www');
    mkdirSync(join(www, 'docs'), { recursive: true });
    mkdirSync(join(www, 'empty'));
    writeFileSync(join(base, 'secret.txt'), 'outside');
    writeFileSync(join(www, 'index.html'), '<p>home</p>');
    writeFileSync(join(www, 'docs', 'a.txt'), 'aaaa');
    symlinkSync(join(base, 'secret.txt'), join(www, 'out-file'));
    symlinkSync(base, join(www, 'out-dir'));
    symlinkSync('/etc', join(www, 'etc'));
    symlinkSync('docs/a.txt', join(www, 'in-link'));
    symlinkSync(join(www, 'docs'), join(www, 'docs-link'));
    symlinkSync('loop', join(www, 'loop'));
    root = new DocumentRoot(www);
    // The root's directory is opened at the first request and held: here, before the per-test fd count.
    const first = root.open({ ok: true, segments: [], dir: true });
    if (first.ok) closeSync(first.fd);
  });
  afterAll(() => {
    root.close();
    rmSync(base, { recursive: true, force: true });
  });

  const open = (target: string) => {
    const t = decodeTarget(target);
    if (!t.ok) throw new Error(`${target}: ${t.reason}`);
    const f = root.open(t);
    if (f.ok) closeSync(f.fd);
    return f.ok ? { status: 200, size: f.size, type: f.contentType } : { status: f.status };
  };

  it.each([
    ['a file', '/docs/a.txt', 200],
    ['a directory by its index.html', '/', 200],
    ['a link that stays inside', '/in-link', 200],
    ['a file through a directory link that stays inside', '/docs-link/a.txt', 200],
    ['a missing file', '/nope.txt', 404],
    ['a file named as a directory', '/docs/a.txt/', 404],
    ['a path through a file', '/docs/a.txt/x', 404],
    ['a directory without index.html', '/empty/', 403],
    ['a directory without index.html, no slash', '/docs', 403],
    ['a link to a file outside', '/out-file', 403],
    ['a link to a directory outside', '/out-dir/secret.txt', 403],
    ['a link to /etc', '/etc/passwd', 403],
    ['a link loop', '/loop', 403],
  ])('should answer %s with %i', (_what, target, status) => {
    expect(open(target).status).toBe(status);
  });

  it('should give the size and the type by extension', () => {
    expect(open('/docs/a.txt')).toEqual({ status: 200, size: 4, type: 'text/plain; charset=utf-8' });
    expect(open('/')).toEqual({ status: 200, size: 11, type: 'text/html; charset=utf-8' });
    expect(contentType('X.PNG')).toBe('image/png');
    expect(contentType('noext')).toBe('application/octet-stream');
  });

  it('should refuse everything once closed, and close once', () => {
    const closing = new DocumentRoot(join(base, 'www'));
    const t = decodeTarget('/docs/a.txt');
    if (!t.ok) throw new Error(t.reason);
    const f = closing.open(t);
    expect(f.ok).toBe(true);
    if (f.ok) closeSync(f.fd);
    closing.close();
    closing.close();
    expect(closing.open(t)).toEqual({ ok: false, status: 403, reason: 'the document root is closed' });
  });

  it('should refuse a root that does not exist, saying so', () => {
    expect(() => new DocumentRoot(join(base, 'no-such-root'))).toThrow(/^the document root .*no-such-root does not exist$/);
  });

  it('should refuse a root that is not a directory', () => {
    expect(() => new DocumentRoot(join(base, 'secret.txt'))).toThrow(/not a directory/);
  });
});

describe('byte ranges', () => {
  it.each([
    [undefined, 100, { kind: 'whole' }],
    ['bytes=0-0', 100, { kind: 'part', first: 0, last: 0 }],
    ['bytes=0-99', 100, { kind: 'part', first: 0, last: 99 }],
    ['bytes=99-', 100, { kind: 'part', first: 99, last: 99 }],
    ['bytes=50-1000', 100, { kind: 'part', first: 50, last: 99 }],
    ['bytes=-1', 100, { kind: 'part', first: 99, last: 99 }],
    ['bytes=-100', 100, { kind: 'part', first: 0, last: 99 }],
    ['bytes=-1000', 100, { kind: 'part', first: 0, last: 99 }],
    ['BYTES = 1-2', 100, { kind: 'part', first: 1, last: 2 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=100-200', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=-5', 0, { kind: 'unsatisfiable' }],
    ['bytes=5-1', 100, { kind: 'whole' }],
    ['bytes=0-1,5-6', 100, { kind: 'whole' }],
    ['items=0-1', 100, { kind: 'whole' }],
    ['bytes=-', 100, { kind: 'whole' }],
    ['bytes=a-b', 100, { kind: 'whole' }],
  ])('should read %s of %i bytes', (field, size, expected) => {
    expect(byteRange(field, size)).toEqual(expected);
  });
});
