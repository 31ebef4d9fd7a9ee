import { runClient, runServer } from './support';
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
    ['--threads', '0x2', 'a whole number ≥ 1'],
    ['--threads', '', 'a whole number ≥ 1'],
    ['--threads', '2.5', 'a whole number ≥ 1'],
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
