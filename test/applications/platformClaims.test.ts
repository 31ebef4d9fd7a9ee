import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Lines of the package's own text that match pattern, as "file:line: text". */
function mentions(pattern: RegExp, paths: string[]): string[] {
  return paths.flatMap((path) =>
    readFileSync(path, 'utf8')
      .split('\n')
      .flatMap((line, i) => (pattern.test(line) ? [`${relative(ROOT, path)}:${i + 1}: ${line.trim()}`] : [])),
  );
}

// docs/api is TypeDoc's output (npm run docs), generated from the sources checked below.
const DOCS = [join(ROOT, 'package.json'), join(ROOT, 'binding.gyp'), join(ROOT, 'README.md'), ...filesUnder(join(ROOT, 'docs')).filter((f) => !f.startsWith(join(ROOT, 'docs', 'api')))];
const SOURCES = [...filesUnder(join(ROOT, 'framework')), ...filesUnder(join(ROOT, 'applications'))];

describe('what the package says it runs on', () => {
  it('should declare Linux only, with io_uring, the epoll-emulated proactor and POSIX aio as its backends', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { os: string[]; description: string };
    expect(pkg.os).toEqual(['linux']);
    expect(pkg.description).toContain('io_uring');
    expect(pkg.description).toContain('epoll');
    expect(pkg.description).toContain('POSIX aio');
    expect(pkg.description).not.toMatch(/iocp/i);
  });

  it('should name no backend or platform that does not exist: no IOCP proactor, no Windows', () => {
    expect(mentions(/\b(iocp|win32|windows)\b|OS=='win'/i, [...DOCS, ...SOURCES])).toEqual([]);
  });
});
