import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { backendNames, reactorName } from '../../applications/example_proactor/Flags';
import { loadNative } from '../../framework/native/loadNative';
import { runClient, runServer, SERVER } from './support';
import { noChildNode, skipNote } from '../support/platform';

// What a refused flag must do at once; a server that took it would still be running.
const LIMIT_MS = 5000;

(noChildNode ? describe.skip : describe)(`example_proactor server flags${skipNote(noChildNode)}`, () => {
  it.each([
    ['--port', '0x50', 'a whole number from 0 to 65535'],
    ['--port', '', 'a whole number from 0 to 65535'],
    ['--port', '65536', 'a whole number from 0 to 65535'],
    ['--port', '-1', 'a whole number from 0 to 65535'],
    ['--port', '8e3', 'a whole number from 0 to 65535'],
    ['--port', ' 8080', 'a whole number from 0 to 65535'],
    ['--port', '80.0', 'a whole number from 0 to 65535'],
    ['--port', '99999999999999999999', 'a whole number from 0 to 65535'],
    ['--threads', '0x2', 'a whole number from 1 to 256'],
    ['--threads', '257', 'a whole number from 1 to 256'],
    ['--threads', '', 'a whole number from 1 to 256'],
    ['--threads', '2.5', 'a whole number from 1 to 256'],
  ])('should refuse %s %j, saying why, with exit code 2', async (flag, value, rule) => {
    const pool = flag === '--threads' ? ['--dispatch', 'pool'] : [];
    const exit = await runServer([...pool, `${flag}=${value}`], LIMIT_MS);
    expect(exit).toMatchObject({ code: 2, signal: null, stdout: '' });
    const said = `${flag} must be ${rule}, got '${value}'\nusage: MainServer `;
    expect(exit.stderr.slice(0, said.length)).toBe(said);
  });

  it.each([
    ['--port', '-1', 'a whole number from 0 to 65535'],
    ['--release-memory', '-1', 'a whole number from 0 to 2147483647'],
    ['--idle-timeout', '-5', 'a whole number from 0 to 2147483647'],
    ['--line-timeout', '-.5', 'a whole number from 0 to 2147483647'],
  ])('should refuse %s %j given as the next argument in the same words', async (flag, value, rule) => {
    const exit = await runServer([flag, value], LIMIT_MS);
    expect(exit).toMatchObject({ code: 2, signal: null, stdout: '' });
    const said = `${flag} must be ${rule}, got '${value}'\nusage: MainServer `;
    expect(exit.stderr.slice(0, said.length)).toBe(said);
  });

  it.each([
    ['--backend', 'bogus', /^--backend must name this build's proactor backends \([a-z, ]+\), alone or as a list, got 'bogus'\nusage: MainServer /],
    ['--backend', 'epoll,', /^--backend must name this build's proactor backends/],
    ['--host', 'nonsense', /^--host must be a numeric IPv4 or IPv6 address, got 'nonsense'\nusage: MainServer /],
    ['--reactor', 'kqueue', /^--reactor must name one of this build's reactor backends \([a-z, ]+\), got 'kqueue'\nusage: MainServer /],
  ])('should refuse %s %j, a name this build does not have, with the usage and exit code 2', async (flag, value, said) => {
    const exit = await runServer([flag, value], LIMIT_MS);
    expect(exit).toMatchObject({ code: 2, signal: null, stdout: '' });
    expect(exit.stderr).toMatch(said);
  });
});

(noChildNode ? describe.skip : describe)(`example_proactor client flags${skipNote(noChildNode)}`, () => {
  it.each([
    ['--port', '0', 'a whole number from 1 to 65535'],
    ['--port', '0x50', 'a whole number from 1 to 65535'],
    ['--port', '', 'a whole number from 1 to 65535'],
    ['--port', '65536', 'a whole number from 1 to 65535'],
    ['--connections', '1e2', 'a whole number ≥ 1'],
    ['--connections', '-5', 'a whole number ≥ 1'],
    ['--messages', '0x10', 'a whole number ≥ 1'],
    ['--messages', '', 'a whole number ≥ 1'],
    ['--window', '0', 'a whole number ≥ 1'],
    ['--timeout', '1.5', 'a whole number from 1 to 2147483647'],
    ['--timeout', '2147483648', 'a whole number from 1 to 2147483647'],
  ])('should refuse %s %j, saying why, with exit code 2', async (flag, value, rule) => {
    const load = flag === '--port' ? [] : ['--connections', '1', '--messages', '1'];
    const exit = await runClient(['--port', '1', ...load, `${flag}=${value}`], 'exit\n', LIMIT_MS);
    expect(exit).toMatchObject({ code: 2, signal: null, stdout: '' });
    const said = `${flag} must be ${rule}, got '${value}'\nusage: MainClient `;
    expect(exit.stderr.slice(0, said.length)).toBe(said);
  });

  it('should refuse --window and --timeout without load mode', async () => {
    const exit = await runClient(['--port', '1', '--window', '4'], 'exit\n', LIMIT_MS);
    expect(exit).toMatchObject({ code: 2, stdout: '' });
    expect(exit.stderr).toMatch(/^--window and --timeout go with --connections and --messages\nusage: MainClient /);
  });
});

(noChildNode ? describe.skip : describe)(`example_proactor server stopped while its pool starts${skipNote(noChildNode)}`, () => {
  it('should stop cleanly, exit 0 with its summary, when SIGTERM comes before the threads are up', async () => {
    const child = spawn(process.execPath, [SERVER, '--host', '127.0.0.1', '--port', '0', '--dispatch', 'pool'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_DEBUG: 'proactor' },
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      // A thread says which backend it set up: the pool is starting, and not yet listening.
      if (!signalled && /PROACTOR \d+: thread \d+: /.test(stderr)) {
        signalled = true;
        expect(stdout).not.toMatch(/listening on/);
        child.kill('SIGTERM');
      }
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS * 3);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    expect(signalled).toBe(true);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(stdout).toMatch(/^example_proactor server: SIGTERM received, shutting down$/m);
    expect(stdout).toMatch(/^example_proactor server stopped: 0 connections accepted, 0 open at shutdown, 0 closed, 0 left open;/m);
  }, 60_000);
});

describe("the servers' --backend and --reactor checks", () => {
  // Bound in the factories on every platform, compiled only for their own.
  const otherBackend = process.platform === 'win32' ? 'uring' : 'iocp';
  const otherReactor = process.platform === 'win32' ? 'epoll' : 'wsapoll';

  it(`should refuse --backend ${otherBackend} and --reactor ${otherReactor}, another platform's, which this build lacks`, () => {
    expect(loadNative().backends.split(',')).not.toContain(otherBackend);
    expect(loadNative().reactorBackends.split(',')).not.toContain(otherReactor);
    expect(() => backendNames(otherBackend, 'usage')).toThrow(/^--backend must name this build's proactor backends/);
    expect(() => backendNames(`${loadNative().backends.split(',')[0]},${otherBackend}`, 'usage')).toThrow(/^--backend must name/);
    expect(() => reactorName(otherReactor, 'usage')).toThrow(/^--reactor must name one of this build's reactor backends/);
  });

  it("should take every backend and reactor this build has, alone and as a list", () => {
    for (const name of loadNative().backends.split(',')) expect(backendNames(name, 'usage')).toBe(name);
    expect(backendNames(loadNative().backends, 'usage')).toBe(loadNative().backends);
    for (const name of loadNative().reactorBackends.split(',')) expect(reactorName(name, 'usage')).toBe(name);
  });
});

(noChildNode || process.platform === 'win32' ? describe.skip : describe)(`a server whose pool never finishes starting${skipNote(noChildNode ?? (process.platform === 'win32' ? 'signals are POSIX' : undefined))}`, () => {
  it('should end at a second SIGTERM, saying so, rather than swallow it', async () => {
    const commandLine = join(__dirname, '..', '..', 'dist', 'applications', 'common', 'commandLine.js');
    const script = `
      const { serveOnPoolUntilSignal } = require(${JSON.stringify(commandLine)});
      const pool = { start: () => new Promise(() => undefined), stop: async () => [] };
      setInterval(() => undefined, 1000);
      void serveOnPoolUntilSignal('test server', pool, () => undefined, 'stopping', () => 0);
      process.stdout.write('starting\\n');
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    await new Promise<void>((resolve) =>
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('starting')) resolve();
      }),
    );
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code, signal] = await exited;
    clearTimeout(killer);
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(stderr).toBe('test server: SIGTERM received again while starting; stopping at once\n');
  }, 30_000);
});
