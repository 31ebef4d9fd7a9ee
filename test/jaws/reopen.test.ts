import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { InetAddr } from '../../framework/common/InetAddr';
import { Proactor } from '../../framework/proactor/Proactor';
import { JawsServer } from '../../applications/jaws/JawsServer';
import { backends } from '../support/backends';
import { jawsPosixPaths, skipNote } from '../support/platform';
import { expectNoFdLeaksAroundServers, fetchOnce, makeRoot } from './support';

// A JawsServer whose open() failed (its address taken) is opened again on
// another address, as a caller that falls back to another port does: it
// must serve its root then, not refuse every file because the failed open
// closed the root's directory for good.
(jawsPosixPaths ? describe.skip : describe)(`JAWS opened again after a failed open${skipNote(jawsPosixPaths)}`, () => {
  expectNoFdLeaksAroundServers();
  const backend = backends[0];
  let root: string;
  beforeAll(() => {
    root = makeRoot({ 'a.txt': 'aaaa' });
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('should serve files after open() failed once', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const takenPort = (taken.address() as { port: number }).port;
    const proactor = new Proactor({ backend });
    const jaws = new JawsServer({ root, limits: { fileCacheMs: 0 } });
    expect(() => jaws.open(new InetAddr(takenPort, '127.0.0.1'), proactor)).toThrow();
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    jaws.open(new InetAddr(0, '127.0.0.1'), proactor);
    const loop = proactor.proactorRunEventLoop();
    try {
      const r = await fetchOnce(jaws.getLocalAddr().port, 'GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe('aaaa');
    } finally {
      await jaws.shutDown(5000);
      proactor.proactorEndEventLoop();
      await loop;
      await proactor.close();
    }
  });
});
