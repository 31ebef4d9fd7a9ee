import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InetAddr } from '../../framework/common/InetAddr';
import { Proactor } from '../../framework/proactor/Proactor';
import { JawsServer } from '../../applications/jaws/JawsServer';
import { backends } from '../support/backends';
import { jawsPosixPaths, skipNote } from '../support/platform';
import { expectNoFdLeaksAroundServers, fetchOnce, makeRoot } from './support';

// The access log's status is the one the client was sent, for every
// answer: ranges, not-modified and unsatisfiable ranges included, and
// requests refused before a file was looked at ("-" where no request line
// could be read).
(jawsPosixPaths ? describe.skip : describe)(`the JAWS access log${skipNote(jawsPosixPaths)}`, () => {
  expectNoFdLeaksAroundServers();
  const backend = backends[0];
  let root: string;
  beforeAll(() => {
    root = makeRoot({ 'a.txt': 'abcdefgh' });
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('should log the status each client was sent', async () => {
    const lines: string[] = [];
    const proactor = new Proactor({ backend });
    const jaws = new JawsServer({ root, limits: { fileCacheMs: 0 }, accessLog: (line) => lines.push(line) });
    jaws.open(new InetAddr(0, '127.0.0.1'), proactor);
    const loop = proactor.proactorRunEventLoop();
    const mtime = new Date(statSync(join(root, 'a.txt')).mtimeMs + 1000).toUTCString();
    const cases: [string, number, string][] = [
      ['GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 200, '"GET /a.txt HTTP/1.1" 200'],
      ['GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\nConnection: close\r\n\r\n', 206, '"GET /a.txt HTTP/1.1" 206'],
      [`GET /a.txt HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: ${mtime}\r\nConnection: close\r\n\r\n`, 304, '"GET /a.txt HTTP/1.1" 304'],
      ['GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=100-\r\nConnection: close\r\n\r\n', 416, '"GET /a.txt HTTP/1.1" 416'],
      ['GET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 404, '"GET /missing HTTP/1.1" 404'],
      ['GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, '"GET /%2e%2e/etc/passwd HTTP/1.1" 400'],
      ['DELETE /a.txt HTTP/1.1\r\nHost: x\r\n\r\n', 405, '"-" 405'],
    ];
    try {
      for (const [request, status] of cases) {
        const r = await fetchOnce(jaws.getLocalAddr().port, request, status === 304);
        expect(r.status).toBe(status);
      }
      expect(lines.map((line) => line.slice(line.indexOf('"')))).toEqual(cases.map(([, , logged]) => logged));
    } finally {
      await jaws.shutDown(5000);
      proactor.proactorEndEventLoop();
      await loop;
      await proactor.close();
    }
  });
});
