/**
 * The example server gives back the memory a spike of connections left
 * (--release-memory): once the connections have fallen to a quarter of
 * their peak or fewer, at least 1,000 below it (on a pool, each thread's
 * share of that), for that many ms, and not with --release-memory 0.
 */
import { connect, type Socket } from 'node:net';
import { backends } from '../support/backends';
import { noChildNode, onlyOnLinux, skipNote } from '../support/platform';
import { runServer, type Server, startServer, until } from './support';

/** Above the 1,000 a spike must drop by. */
const SPIKE = 1100;

/** n connections, each of which has had one line echoed. */
async function spike(port: number, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, (_, j) => {
      return new Promise<Socket>((resolve, reject) => {
        const s = connect(port, '127.0.0.1');
        s.setEncoding('utf8');
        let got = '';
        s.on('data', (d: string) => {
          got += d;
          if (got === `Echo - ${i + j}\n`) resolve(s);
        });
        s.once('error', reject);
        s.write(`${i + j}\n`);
      });
    });
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

function closeAll(sockets: Socket[]): Promise<unknown> {
  return Promise.all(sockets.map((s) => new Promise((resolve) => s.end(() => s.once('close', resolve)))));
}

const RELEASED = /memory released after a spike of (\d+) connections \((\d+) open\): RSS (\d+) -> (\d+) MiB \(the whole process\), heap (\d+) -> (\d+) MiB, \d+ ms/;

// aio is left out: opening 1,000 connections there takes half a minute
// (each waiting read holds one of glibc's 256 workers; docs/reliability.md),
// and the release does not depend on the backend.
const cases = backends.filter((b) => b !== 'aio').flatMap((backend) => ['post-reactive', 'pool'].map((dispatch) => [backend, dispatch]));
const skip = onlyOnLinux ?? noChildNode;

(skip ? describe.skip : describe).each(cases)(`example_proactor server --release-memory (--backend %s --dispatch %s)${skipNote(skip)}`, (backend, dispatch) => {
  // The pool's two threads each watch their own connections, each for its share (500) of the 1,000 a spike must drop.
  const n = dispatch === 'pool' ? 1400 : SPIKE;
  let server: Server | undefined;
  afterEach(async () => {
    if (server && server.stdout().indexOf('stopped:') < 0) await server.stop('SIGKILL');
    server = undefined;
  });

  it(`should give the memory back once ${n} connections have closed, and serve on`, async () => {
    server = await startServer(['--backend', backend, '--dispatch', dispatch, '--verbose', '--idle-timeout', '0', '--release-memory', '300'], 20_000);
    const sockets = await spike(server.port, n);
    expect(server.stderr()).not.toMatch(RELEASED);
    await closeAll(sockets);
    const threads = dispatch === 'pool' ? 2 : 1;
    await until(
      () => server!.stderr().split('\n').filter((l) => RELEASED.test(l)).length >= threads,
      () => `a release from each of ${threads} threads; stderr ends: ${server!.stderr().slice(-500)}`,
      20_000,
    );
    const releases = server.stderr().split('\n').filter((l) => RELEASED.test(l)).map((l) => RELEASED.exec(l)!.slice(1).map(Number));
    expect(releases).toHaveLength(threads);
    for (const [peak, open, , , heapBefore, heapAfter] of releases) {
      expect(peak).toBeGreaterThanOrEqual(1000 / threads);
      expect(open).toBeLessThanOrEqual(peak / 4);
      expect(heapAfter).toBeLessThan(heapBefore);
    }
    expect(releases.reduce((sum, [peak]) => sum + peak, 0)).toBe(n);
    // Still serving.
    const [again] = await spike(server.port, 1);
    await closeAll([again]);
    const exit = await server.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(new RegExp(`stopped: ${n + 1} connections accepted, 0 open at shutdown, ${n + 1} closed, 0 left open;`));
  }, 90_000);

  it('should keep it with --release-memory 0', async () => {
    server = await startServer(['--backend', backend, '--dispatch', dispatch, '--verbose', '--idle-timeout', '0', '--release-memory', '0'], 20_000);
    await closeAll(await spike(server.port, n));
    await until(() => (server!.stderr().match(/connection closed/g) ?? []).length === n, () => 'every connection closed', 20_000);
    // Far longer than the 300 ms the other case waits.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(server.stderr()).not.toMatch(/memory released/);
    expect((await server.stop('SIGTERM')).code).toBe(0);
  }, 90_000);
});

(noChildNode ? describe.skip : describe)(`example_proactor server --release-memory flag${skipNote(noChildNode)}`, () => {
  it('should refuse a value that is not a whole number of ms', async () => {
    const exit = await runServer(['--release-memory', '5s']);
    expect(exit).toMatchObject({ code: 2, stdout: '' });
    expect(exit.stderr).toMatch(/^--release-memory must be a whole number from 0 to 2147483647, got '5s'\n/);
  });
});
