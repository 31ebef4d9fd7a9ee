/**
 * The package as a user installs it: `npm pack` ships what users need and
 * nothing else, the tarball installs into an empty project on a PATH with
 * no compiler (the prebuilt addon loads), and the README's echo service
 * runs from it. And when no addon fits, the loader says what to install.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as ts from 'typescript';
import { onlyOnLinux, skipNote } from '../support/platform';

const ROOT = join(__dirname, '..', '..');
const NPM_CLI = join(process.execPath, '..', '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');

/** A PATH holding node, npm and sh only: no compiler, make or python. */
function bareBin(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(NPM_CLI, join(bin, 'npm'));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The README's first service (the ```ts block under "A first service: echo"), as JavaScript. */
function readmeEcho(port: number): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## A first service: echo'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)![1];
  expect(code).toContain('new InetAddr(7000');
  return ts.transpileModule(code.replace('new InetAddr(7000', `new InetAddr(${port}`), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

function echoOnce(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write(text));
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      got += chunk;
      if (got.length >= text.length) socket.end(() => resolve(got));
    });
    socket.on('error', reject);
  });
}

async function retry<T>(attempt: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

// Packs and installs with Linux's tools and the linux-x64 prebuild.
(onlyOnLinux ? describe.skip : describe)(`the package${skipNote(onlyOnLinux)}`, () => {
  let work: string;
  let tarball: string;

  beforeAll(() => {
    expect(existsSync(join(ROOT, 'dist', 'framework', 'index.js'))).toBe(true); // npm test builds first
    work = mkdtempSync(join(tmpdir(), 'ace-proactor-package-'));
    execFileSync(process.execPath, [join(ROOT, 'native', 'package', 'prebuild.js')], { cwd: ROOT, stdio: 'pipe' });
    const packed = execFileSync(process.execPath, [NPM_CLI, 'pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' });
    const [info] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
    tarball = join(work, info.filename);
    filesShipped = info.files.map((f) => f.path);
  }, 180_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  let filesShipped: string[] = [];

  it('should ship the framework, its addon sources and a prebuilt addon, and no tests or benchmarks', () => {
    expect(filesShipped).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'binding.gyp', 'dist/framework/index.js', 'dist/framework/index.d.ts']));
    expect(filesShipped).toContain(`prebuilds/${process.platform}-${process.arch}/node.napi.glibc.node`);
    expect(filesShipped.filter((f) => f.startsWith('native/') && f.endsWith('.cc')).length).toBeGreaterThan(5);
    expect(filesShipped.filter((f) => /(^|\/)(test|bench)\//.test(f) || /\.test\.(js|ts|d\.ts|js\.map)$/.test(f))).toEqual([]);
  });

  it('should say the same license in package.json and LICENSE', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string };
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('should install without a compiler and run the README echo service', async () => {
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    const bin = bareBin(work);
    const env = { ...process.env, PATH: bin, npm_config_audit: 'false', npm_config_fund: 'false' };
    const install = spawnSync('npm', ['install', '--prefer-offline', tarball], { cwd: app, env, encoding: 'utf8' });
    expect(install.stderr).not.toMatch(/gyp ERR|not found: (make|g\+\+|python)/);
    expect(install.status).toBe(0);
    expect(existsSync(join(app, 'node_modules', 'ace-proactor', 'build'))).toBe(false); // nothing was compiled

    const port = await freePort();
    writeFileSync(join(app, 'echo.js'), readmeEcho(port));
    const server = spawn(process.execPath, ['echo.js'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    server.stderr.on('data', (chunk) => (stderr += chunk));
    try {
      const reply = await retry(() => echoOnce(port, 'hello from an installed package\n'), 10_000);
      expect(reply).toBe('hello from an installed package\n');
    } finally {
      server.kill('SIGKILL');
    }
    expect(stderr).toBe('');
  }, 180_000);

  it('should say what to install when no addon fits', () => {
    const pkg = join(work, 'no-addon');
    cpSync(join(ROOT, 'dist', 'framework'), join(pkg, 'dist', 'framework'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'ace-proactor', version: '0.0.0' }));
    const run = spawnSync(process.execPath, ['-e', "require('./dist/framework/native/loadNative').loadNative()"], { cwd: pkg, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('could not be loaded');
    expect(run.stderr).toContain('apt-get install python3 make g++');
    expect(run.stderr).toContain(`prebuilds/${process.platform}-${process.arch}/node.napi.glibc.node (missing)`);
  });
});

describe('the published types', () => {
  it('should keep @internal members out of the .d.ts files (stripInternal)', () => {
    const declarations = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? declarations(join(dir, e.name)) : e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []));
    const files = declarations(join(ROOT, 'dist', 'framework'));
    expect(files.length).toBeGreaterThan(20);
    expect(files.filter((f) => readFileSync(f, 'utf8').includes('@internal'))).toEqual([]);
    // one member known to be internal: AsynchOperation.recycle
    expect(readFileSync(join(ROOT, 'dist', 'framework', 'proactor', 'AsynchOperation.d.ts'), 'utf8')).not.toMatch(/^\s*recycle\(/m);
  });
});

describe('the published types, as a consumer sees them', () => {
  it('should type-check a program that imports the package, with the library checks on (no skipLibCheck)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ace-proactor-types-'));
    try {
      const main = join(dir, 'main.ts');
      writeFileSync(main, "import { Proactor, AsynchReadStream, MessageBlock } from 'ace-proactor';\nconst p: Proactor = Proactor.instance()!;\nvoid p; void AsynchReadStream; void MessageBlock;\n");
      const program = ts.createProgram([main], {
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        baseUrl: dir,
        paths: { 'ace-proactor': [join(ROOT, 'dist', 'framework', 'index.d.ts')] },
      });
      const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n') + (d.file ? ` (${relative(ROOT, d.file.fileName)})` : ''));
      expect(diagnostics).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
