import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadNative } from '../../framework/native/loadNative';

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
  it('should declare Linux alone, and name as its backends only the ones this build can set up', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { os: string[]; description: string; scripts: Record<string, string> };
    expect(pkg.os).toEqual(['linux']);
    expect(pkg.description).toContain('io_uring');
    expect(pkg.description).toContain('epoll');
    expect(pkg.description).toContain('POSIX aio');
    expect(pkg.description).not.toMatch(/windows|win32|iocp|completion port/i);
    expect(pkg.scripts['test:win32']).toBe('bash test/win32/run.sh');
    // The addon compiled on Linux offers exactly the three the text names.
    if (process.platform === 'linux') expect(loadNative().backends.split(',').sort()).toEqual(['aio', 'epoll', 'uring']);
  });

  it('should say, wherever README and design.md mention the IOCP backend, that it is not in the package', () => {
    for (const file of ['README.md', join('docs', 'design.md'), join('docs', 'win32.md')]) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(text).toMatch(/not (in|part of) the (npm )?package/);
    }
    const intro = readFileSync(join(ROOT, 'README.md'), 'utf8').split('## ')[0];
    expect(intro).not.toMatch(/windows|iocp|completion port/i);
  });

  it('should build on Windows from the files binding.gyp names for it, with iocp as the one backend there', () => {
    const gyp = JSON.parse(readFileSync(join(ROOT, 'binding.gyp'), 'utf8')) as { targets: { conditions: [string, { sources: string[] }][] }[] };
    const win = gyp.targets[0].conditions.find(([condition]) => condition === "OS=='win'");
    expect(win).toBeDefined();
    expect(win![1].sources).toEqual(expect.arrayContaining(['native/iocp/iocp_backend.cc', 'native/win32/backends.cc']));
    for (const source of win![1].sources) expect(statSync(join(ROOT, source)).isFile()).toBe(true);
    expect(readFileSync(join(ROOT, 'native', 'win32', 'backends.cc'), 'utf8')).toMatch(/BackendNames\(\) \{ return "iocp"; \}/);
  });

  it('should say what was verified under Wine, what only Windows can confirm, and how to run it', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('npm run test:win32');
    const win32 = readFileSync(join(ROOT, 'docs', 'win32.md'), 'utf8');
    expect(win32).toMatch(/## Tested under Wine/);
    expect(win32).toMatch(/only a real Windows machine can confirm/);
  });
});
