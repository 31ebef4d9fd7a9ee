/**
 * JAWS gives back the memory a spike of connections left (the
 * releaseMemoryMs limit, --release-memory): once its connections have
 * fallen to a quarter of their peak or fewer, at least 1,000 below it.
 */
import { connect, type Socket } from 'node:net';
import { InetAddr } from '../../framework/common/InetAddr';
import { Proactor } from '../../framework/proactor/Proactor';
import { JawsServer } from '../../applications/jaws/JawsServer';
import { backends } from '../support/backends';
import { expectNoFdLeaks } from '../support/leaks';
import { jawsPosixPaths, onlyOnLinux, skipNote } from '../support/platform';
import { makeRoot, waitFor } from './support';

expectNoFdLeaks();

const SPIKE = 1100;

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

// aio is left out: each connection waiting for its request holds one of
// glibc's 256 aio workers, so 1,000 of them take half a minute to serve
// (docs/reliability.md); the release does not depend on the backend.
const skip = onlyOnLinux ?? jawsPosixPaths;
(skip ? describe.skip : describe).each(backends.filter((b) => b !== 'aio'))(`JAWS releaseMemoryMs on %s${skipNote(skip)}`, (backend) => {
  it.each([
    [200, 1],
    [0, 0],
  ])(`with releaseMemoryMs %d, should give back the memory a spike of ${SPIKE} connections left %d times`, async (releaseMemoryMs, times) => {
    const root = makeRoot({ 'index.html': 'hello\n' });
    const lines: string[] = [];
    const proactor = new Proactor({ backend });
    const jaws = new JawsServer({ root, limits: { fileCacheMs: 0, releaseMemoryMs }, log: (line) => lines.push(line) });
    jaws.open(new InetAddr(0, '127.0.0.1'), proactor);
    const loop = proactor.proactorRunEventLoop();
    try {
      const sockets: Socket[] = [];
      for (let i = 0; i < SPIKE; i += 100) sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, SPIKE - i) }, () => open(jaws.getLocalAddr().port)))));
      await waitFor(() => jaws.openConnections() === SPIKE, `${SPIKE} connections open`);
      await Promise.all(sockets.map((s) => new Promise((resolve) => s.end(() => s.once('close', resolve)))));
      await waitFor(() => jaws.openConnections() === 0, 'every connection closed');
      // The quiet time, then some.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const released = lines.filter((l) => l.startsWith('memory released'));
      expect(released).toHaveLength(times);
      if (times === 1) expect(released[0]).toMatch(new RegExp(`^memory released after a spike of ${SPIKE} connections \\(0 open\\): RSS \\d+ -> \\d+ MiB \\(the whole process\\), heap \\d+ -> \\d+ MiB, \\d+ ms$`));
    } finally {
      await jaws.shutDown(5000);
      proactor.proactorEndEventLoop();
      await loop;
      await proactor.close();
    }
  }, 60_000);
});
