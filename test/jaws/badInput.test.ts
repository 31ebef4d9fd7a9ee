import fc from 'fast-check';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_LIMITS } from '../../applications/jaws/JawsLimits';
import { backends, gap } from '../support/backends';
import { jawsPosixPaths } from '../support/platform';
import { expectNoFdLeaksAroundServers, fetchOnce, makeRoot, parseResponses, RawClient, startJaws, waitFor, type InProcessJaws } from './support';

const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOT';
const base = makeRoot({ 'secret.txt': SECRET, 'www/index.html': '<p>home</p>\n', 'www/big.bin': Buffer.alloc(32 * 1024 * 1024, 7) });
const root = join(base, 'www');
symlinkSync(join(base, 'secret.txt'), join(root, 'leak'));
symlinkSync(base, join(root, 'up'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;
const STATUS_LINE = /^HTTP\/1\.1 (\d{3}) [A-Za-z -]+\r\n/;

expectNoFdLeaksAroundServers();

describe.each(backends)('JAWS on %s, given bad input', (backend) => {
  const why = gap(backend, 'sendfile') ?? jawsPosixPaths;
  if (why) {
    it.skip(`JAWS, given bad input (skipped: ${why})`, () => undefined);
    return;
  }
  let server: InProcessJaws;
  beforeAll(async () => {
    server = await startJaws(backend, root, { headerTimeoutMs: 400, idleTimeoutMs: 400, maxConnections: 50 });
  });
  afterAll(() => server.stop());
  afterEach(() => waitFor(() => server.jaws.openConnections() === 0, 'the server to close every connection'));

  /** Sends request, expects status and the server's close, then checks the server still serves. */
  async function refused(request: string | Buffer, status: number) {
    const c = new RawClient(server.port);
    c.write(request);
    const [r] = await c.responses(1);
    expect(r.status).toBe(status);
    expect(r.headers.get('connection')).toBe('close');
    await c.serverEnd();
    await c.close();
    expect((await fetchOnce(server.port, GET('/'))).status).toBe(200);
    return r;
  }

  it.each([
    ['a malformed request line', 'GET /\r\n\r\n', 400],
    ['a request line of garbage', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', 400],
    ['a malformed header', 'GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n', 400],
    ['a header with NUL', 'GET / HTTP/1.1\r\nHost: t\r\nX: \x00\r\n\r\n', 400],
    ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\n\r\n', 400],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: t\r\n\r\n', 505],
    ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: t\r\n\r\n', 505],
    ['a chunked body', 'GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 501],
    ['an oversize URI', `GET /${'a'.repeat(DEFAULT_LIMITS.maxUriBytes)} HTTP/1.1\r\nHost: t\r\n\r\n`, 414],
    ['oversize headers', `GET / HTTP/1.1\r\nHost: t\r\n${`X-Filler: ${'f'.repeat(100)}\r\n`.repeat(90)}\r\n`, 431],
  ])('should answer %s with its status and close', async (_what, request, status) => {
    await refused(request, status);
  });

  it('should answer another method with 405 and Allow: GET, HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'BREW']) {
      const r = await refused(`${method} / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc`, 405);
      expect(r.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('should answer an oversize body with 413 even while the client goes on sending it', async () => {
    const c = new RawClient(server.port);
    c.write(`GET / HTTP/1.1\r\nHost: t\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`);
    c.write(Buffer.alloc(1024 * 1024, 1));
    const [r] = await c.responses(1);
    expect(r.status).toBe(413);
    await c.close();
  });

  it('should read and discard a body within the limit and serve the next request', async () => {
    const c = new RawClient(server.port);
    c.write(`GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n`);
    c.write(Buffer.alloc(5000, 0x47));
    c.write(GET('/'));
    const rs = await c.responses(2);
    expect(rs.map((r) => r.status)).toEqual([200, 200]);
    await c.close();
  });

  it.each([
    ['raw ..', '/../secret.txt', 400],
    ['raw .. deeper', '/a/../../secret.txt', 400],
    ['%2e%2e', '/%2e%2e/secret.txt', 400],
    ['%2E%2e mixed', '/%2E%2e/secret.txt', 400],
    ['double encoding', '/%252e%252e/secret.txt', 400],
    ['an encoded slash', '/..%2fsecret.txt', 400],
    ['a backslash', '/..\\secret.txt', 400],
    ['an encoded backslash', '/..%5csecret.txt', 400],
    ['a NUL byte', '/index.html%00', 400],
    ['an absolute path', `/${base}/secret.txt`, 400],
    ['a relative target', 'secret.txt', 400],
    ['absolute-form with ..', 'http://t/../secret.txt', 400],
    ['a symlink to a file outside', '/leak', 403],
    ['a symlink to a directory outside', '/up/secret.txt', 403],
  ])('should refuse %s, never sending what is outside the root', async (_what, target, status) => {
    const c = new RawClient(server.port);
    c.write(GET(target));
    const [r] = await c.responses(1);
    expect(r.status).toBe(status);
    expect(c.received().toString('latin1')).not.toContain(SECRET);
    await c.close();
  });

  it('should answer 408 when the head does not come whole in time, even trickled byte by byte (slowloris)', async () => {
    const c = new RawClient(server.port);
    const started = Date.now();
    const head = 'GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ' + 'z'.repeat(100);
    let i = 0;
    const trickle = setInterval(() => !c.serverClosed() && i < head.length && c.write(head[i++]), 50);
    try {
      const [r] = await c.responses(1);
      expect(r.status).toBe(408);
      await c.serverEnd();
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      clearInterval(trickle);
    }
    await c.close();
  });

  it('should close a keep-alive connection left idle, without a response', async () => {
    const c = new RawClient(server.port);
    c.write(GET('/'));
    await c.responses(1);
    await c.serverEnd(3000);
    expect(parseResponses(c.received()).responses).toHaveLength(1);
    await c.close();
  });

  it('should close connections over the limit at once and serve the others', async () => {
    const limited = await startJaws(backend, root, { maxConnections: 2 });
    const a = new RawClient(limited.port);
    const b = new RawClient(limited.port);
    await Promise.all([a.connected, b.connected]);
    await waitFor(() => limited.jaws.openConnections() === 2, 'two connections');
    const third = new RawClient(limited.port);
    await third.serverEnd();
    expect(third.received().length).toBe(0);
    a.write(GET('/'));
    b.write(GET('/'));
    expect((await a.responses(1))[0].status).toBe(200);
    expect((await b.responses(1))[0].status).toBe(200);
    await Promise.all([a.close(), b.close(), third.close()]);
    await waitFor(() => limited.jaws.openConnections() === 0, 'the limited server to close its connections');
    expect(limited.jaws.stats.rejected).toBe(1);
    await limited.stop();
  });

  it('should survive clients that reset in the middle of a 32 MiB response', async () => {
    for (let i = 0; i < 5; i++) {
      const c = new RawClient(server.port);
      c.write(GET('/big.bin'));
      await waitFor(() => c.received().length > 0, 'the first bytes');
      c.socket.resetAndDestroy();
      await c.closed;
    }
    await waitFor(() => server.jaws.openConnections() === 0, 'the reset connections to close');
    expect((await fetchOnce(server.port, GET('/'))).status).toBe(200);
  });

  it('should answer any bytes with a valid status, or close when they end without a whole head (fuzz)', async () => {
    const allowed = [200, 400, 403, 404, 405, 413, 414, 431, 501, 505];
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.tuple(fc.constantFrom('GET', 'HEAD', 'POST', 'get'), fc.string({ maxLength: 40 }), fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', ''), fc.string({ maxLength: 60 })).map(
        ([m, t, v, h]) => Buffer.from(`${m} /${t} ${v}\r\nHost: t\r\n${h}\r\n\r\n`, 'utf8'),
      ),
    );
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const c = new RawClient(server.port);
        c.write(bytes);
        c.socket.end();
        await c.serverEnd();
        await c.close();
        const text = c.received().toString('latin1');
        if (text === '') return true;
        const m = STATUS_LINE.exec(text);
        return m !== null && allowed.includes(Number(m[1]));
      }),
      { numRuns: 150 },
    );
    expect((await fetchOnce(server.port, GET('/'))).status).toBe(200);
  });
});
