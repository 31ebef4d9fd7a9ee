import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ts from 'typescript';

export const ROOT = join(__dirname, '..', '..');

/** A fenced code block of a document, with its info string's attributes. */
export interface Snippet {
  lang: string;
  /** The file= attribute: where the block's text goes, relative to the snippet folder. */
  file?: string;
  /** The fails= attribute: the TypeScript error code the block must fail to compile with ('TS4117'). */
  fails?: string;
  text: string;
  /** The line of the opening fence, 1-based. */
  line: number;
}

/** Every fenced block of the markdown file at path (relative to the root). */
export function snippets(path: string): Snippet[] {
  const markdown = readFileSync(join(ROOT, path), 'utf8');
  const found: Snippet[] = [];
  const fence = /^```(\w*)([^\n]*)\n([\s\S]*?)^```\s*$/gm;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    const attrs = Object.fromEntries([...m[2].matchAll(/(\w+)=(\S+)/g)].map((a) => [a[1], a[2]]));
    found.push({ lang: m[1], file: attrs.file, fails: attrs.fails, text: m[3], line: markdown.slice(0, m.index).split('\n').length });
  }
  return found;
}

/** The compiler options a reader's project uses, with 'ace-proactor' mapped to the framework's sources. */
export function readerOptions(dir: string): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    lib: ['lib.es2022.d.ts'],
    strict: true,
    noImplicitOverride: true,
    esModuleInterop: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node', 'jest'],
    typeRoots: [join(ROOT, 'node_modules', '@types')],
    baseUrl: dir,
    paths: { 'ace-proactor': [join(ROOT, 'framework', 'index.ts')] },
  };
}

/** Writes each snippet with a file= into dir; returns their absolute paths. */
export function writeSnippets(dir: string, list: Snippet[]): string[] {
  return list.map((s) => {
    const path = join(dir, s.file!);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, s.text);
    return path;
  });
}

/** Type-checks files as one program: each file's diagnostics, as "TSnnnn line: message". */
export function typeCheck(dir: string, files: string[]): Map<string, string[]> {
  const program = ts.createProgram(files, readerOptions(dir));
  const result = new Map<string, string[]>();
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const file of files) {
    const sf = program.getSourceFile(file)!;
    const diagnostics = [...global, ...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    result.set(
      file,
      diagnostics.map((d) => {
        const at = d.file && d.start !== undefined ? ` line ${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : '';
        return `TS${d.code}${at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      }),
    );
  }
  return result;
}

/**
 * Compiles each file to CommonJS beside it (no type-check: typeCheck does
 * that) and makes 'ace-proactor' resolve, from dir, to the framework's
 * sources, which the test runner compiles as it does the tests'.
 */
export function transpileSnippets(dir: string, files: string[]): void {
  for (const file of files) {
    const out = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true },
    });
    writeFileSync(file.replace(/\.ts$/, '.js'), out.outputText);
  }
  const pkg = join(dir, 'node_modules', 'ace-proactor');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'index.js'), `module.exports = require(${JSON.stringify(join(ROOT, 'framework', 'index'))});\n`);
}
