import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backends } from '../support/backends';
import { expectNoFdLeaks } from '../support/leaks';
import { snippets, transpileSnippets, typeCheck, writeSnippets } from './snippets';

/**
 * docs/tutorial.md, run: its TypeScript blocks are written out under the
 * file names they carry, type-checked as a reader's project would be
 * ('ace-proactor' being the framework's sources), and the tutorial's own
 * jest test is run here, as part of this suite.
 */
const blocks = snippets('docs/tutorial.md');
const code = blocks.filter((b) => b.lang === 'ts');
const compiling = code.filter((b) => b.file !== undefined && b.fails === undefined);
const failing = code.filter((b) => b.fails !== undefined);

const dir = mkdtempSync(join(tmpdir(), 'ace-proactor-tutorial-'));
const compilingFiles = writeSnippets(dir, compiling);
const failingFiles = writeSnippets(dir, failing);
transpileSnippets(dir, compilingFiles);
/** One program for every block: the compiler's diagnostics, by file. */
let checked: Map<string, string[]> | undefined;
const diagnosticsOf = (file: string) => (checked ??= typeCheck(dir, [...compilingFiles, ...failingFiles])).get(file)!;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/tutorial.md', () => {
  it('should name a file for every TypeScript block, so that none goes untested', () => {
    expect(code.filter((b) => b.file === undefined).map((b) => `tutorial.md line ${b.line}`)).toEqual([]);
    expect(compiling.map((b) => b.file)).toEqual(expect.arrayContaining(['tutorial/LineServer.ts', 'tutorial/LineClient.ts', 'tutorial/LineService.test.ts']));
  });

  it('should type-check every block under strict and noImplicitOverride', () => {
    const errors = compilingFiles.flatMap((file) => diagnosticsOf(file).map((d) => `${file.slice(dir.length + 1)}: ${d}`));
    expect(errors).toEqual([]);
  });

  it('should fail to compile a misspelt hook written with override, and a hook written without it, with the errors it names', () => {
    for (const [i, file] of failingFiles.entries()) {
      const codes = diagnosticsOf(file).map((d) => d.split(/[ :]/)[0]);
      expect({ file: failing[i].file, codes }).toEqual({ file: failing[i].file, codes: [failing[i].fails] });
    }
    expect(failing.map((b) => b.fails)).toEqual(['TS4117', 'TS4114']);
  });

  // The tutorial's Proactor names no backend: PROACTOR_BACKEND picks each in turn.
  describe.each(backends)('its test, run as written, on %s', (backend) => {
    let saved: string | undefined;
    beforeAll(() => {
      saved = process.env.PROACTOR_BACKEND;
      process.env.PROACTOR_BACKEND = backend;
    });
    afterAll(() => {
      if (saved === undefined) delete process.env.PROACTOR_BACKEND;
      else process.env.PROACTOR_BACKEND = saved;
    });
    // Outermost here, so its check runs after the tutorial's own afterEach (the shutdown).
    expectNoFdLeaks();
    // A copy per backend, so that its describe() runs again; what it imports is shared.
    const copy = join(dir, 'tutorial', `LineService.${backend}.test.js`);
    copyFileSync(join(dir, 'tutorial', 'LineService.test.js'), copy);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(copy);
  });
});
