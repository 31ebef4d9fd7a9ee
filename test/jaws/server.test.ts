import { createHash, randomBytes } from 'node:crypto';
import { renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { Agent, get, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { backends, gap } from '../support/backends';
import { jawsPosixPaths } from '../support/platform';
import { expectNoFdLeaksAroundServers, fetchOnce, makeRoot, RawClient, startJaws, waitFor, type InProcessJaws } from './support';

const MiB = 1024 * 1024;
const SIZES = [0, 1, 1023, 1024, 65535, 65536, 65537, MiB, 64 * MiB];
const files: Record<string, Buffer> = {};
for (const size of SIZES) files[`f${size}.bin`] = randomBytes(size);
files['page.html'] = Buffer.from('<h1>JAWS</h1>\n');
files['dir/index.html'] = Buffer.from('<p>dir index</p>\n');
files['noindex/a.txt'] = Buffer.from('a\n');
files['ten.txt'] = Buffer.from('0123456789');
const root = makeRoot(files);
const MTIME = new Date('2024-01-02T03:04:05Z');
utimesSync(join(root, 'ten.txt'), MTIME, MTIME);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** GETs path with Node's http client; the body is hashed as it arrives. */
function download(port: number, path: string, agent: Agent, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; length: number; sha: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      const hash = createHash('sha256');
      let length = 0;
      res.on('data', (d: Buffer) => {
        hash.update(d);
        length += d.length;
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, length, sha: hash.digest('hex') }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;

expectNoFdLeaksAroundServers();

describe.each(backends)('JAWS on %s', (backend) => {
  const why = gap(backend, 'sendfile') ?? jawsPosixPaths;
  if (why) {
    it.skip(`JAWS (skipped: ${why})`, () => undefined);
    return;
  }
  let server: InProcessJaws;
  let agent: Agent;
  beforeAll(async () => {
    server = await startJaws(backend, root);
    agent = new Agent({ keepAlive: true, maxSockets: 16 });
  });
  afterAll(async () => {
    agent.destroy();
    await server.stop();
  });
  // Every test leaves no connection behind on either side.
  afterEach(async () => {
    agent.destroy();
    agent = new Agent({ keepAlive: true, maxSockets: 16 });
    await waitFor(() => server.jaws.openConnections() === 0, 'the server to close every connection');
  });

  it.each(SIZES)('should send a file of %i bytes byte for byte', async (size) => {
    const r = await download(server.port, `/f${size}.bin`, agent);
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(size));
    expect(r.headers['content-type']).toBe('application/octet-stream');
    expect(r.length).toBe(size);
    expect(r.sha).toBe(sha(files[`f${size}.bin`]));
  });

  it('should answer HEAD with the GET head and no body, and go on serving the connection', async () => {
    const c = new RawClient(server.port);
    c.write(`HEAD /f65536.bin HTTP/1.1\r\nHost: t\r\n\r\n${GET('/ten.txt')}`);
    const [head, next] = await c.responses(2, [true, false]);
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('65536');
    expect(head.body.length).toBe(0);
    expect(next.body.toString()).toBe('0123456789');
    await c.close();
  });

  it('should answer pipelined requests in order on one connection, then close on Connection: close', async () => {
    const c = new RawClient(server.port);
    c.write(GET('/ten.txt') + GET('/page.html') + GET('/missing') + GET('/dir/') + GET('/ten.txt', 'Connection: close\r\n'));
    const rs = await c.responses(5);
    expect(rs.map((r) => r.status)).toEqual([200, 200, 404, 200, 200]);
    expect(rs[1].headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(rs[3].body.toString()).toBe('<p>dir index</p>\n');
    expect(rs[4].headers.get('connection')).toBe('close');
    await c.serverEnd();
    await c.close();
  });

  it('should serve 20 keep-alive clients × 10 requests each, at once, over at most 16 connections', async () => {
    const names = ['ten.txt', 'page.html', 'f1024.bin', 'f65537.bin'];
    const all = await Promise.all(
      Array.from({ length: 20 }, async (_, client) => {
        const got = [];
        for (let i = 0; i < 10; i++) {
          const name = names[(client + i) % names.length];
          const r = await download(server.port, `/${name}`, agent);
          got.push(r.status === 200 && r.sha === sha(files[name]));
        }
        return got;
      }),
    );
    expect(all.flat().filter((ok) => !ok)).toEqual([]);
    expect(server.jaws.openConnections()).toBeLessThanOrEqual(16);
  });

  it('should answer 100 keep-alive connections sending 20 requests back to back each, every body whole', async () => {
    const clients = Array.from({ length: 100 }, () => new RawClient(server.port));
    await Promise.all(
      clients.map(async (c, i) => {
        c.socket.setNoDelay(true);
        const name = i % 2 ? 'f1024.bin' : 'ten.txt';
        let whole = 0;
        for (let k = 1; k <= 20; k++) {
          c.write(GET(`/${name}`));
          const rs = await c.responses(k);
          if (rs[k - 1].status === 200 && rs[k - 1].body.equals(files[name])) whole++;
        }
        return whole;
      }),
    ).then((counts) => expect(counts).toEqual(clients.map(() => 20)));
    expect(server.jaws.openConnections()).toBe(clients.length);
    await Promise.all(clients.map((c) => c.close()));
  });

  it('should send a file again from the descriptor it opened, until the file cache time is up', async () => {
    const cacheRoot = makeRoot({ 'c.txt': 'one' });
    const cached = await startJaws(backend, cacheRoot, { fileCacheMs: 300 });
    try {
      expect((await fetchOnce(cached.port, GET('/c.txt'))).body.toString()).toBe('one');
      writeFileSync(join(cacheRoot, 'new.txt'), 'two!');
      renameSync(join(cacheRoot, 'new.txt'), join(cacheRoot, 'c.txt'));
      expect((await fetchOnce(cached.port, GET('/c.txt'))).body.toString()).toBe('one');
      expect(cached.jaws.files.size()).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect((await fetchOnce(cached.port, GET('/c.txt'))).body.toString()).toBe('two!');
      await waitFor(() => cached.jaws.openConnections() === 0, 'the cache server to close its connections');
    } finally {
      await cached.stop();
      rmSync(cacheRoot, { recursive: true, force: true });
    }
    expect(cached.jaws.files.size()).toBe(0);
  });

  it.each([
    ['the first byte', 'bytes=0-0', 206, '0', 'bytes 0-0/10'],
    ['the last byte', 'bytes=9-9', 206, '9', 'bytes 9-9/10'],
    ['the last byte as a suffix', 'bytes=-1', 206, '9', 'bytes 9-9/10'],
    ['from the last byte on', 'bytes=9-', 206, '9', 'bytes 9-9/10'],
    ['a range past the end, cut to the end', 'bytes=5-100', 206, '56789', 'bytes 5-9/10'],
    ['a suffix longer than the file', 'bytes=-100', 206, '0123456789', 'bytes 0-9/10'],
    ['the whole file', 'bytes=0-9', 206, '0123456789', 'bytes 0-9/10'],
    ['a start at the end', 'bytes=10-', 416, undefined, 'bytes */10'],
    ['an empty suffix', 'bytes=-0', 416, undefined, 'bytes */10'],
    ['several ranges (ignored)', 'bytes=0-1,3-4', 200, '0123456789', undefined],
    ['a reversed range (ignored)', 'bytes=5-4', 200, '0123456789', undefined],
  ])('should answer a Range of %s', async (_what, range, status, body, contentRange) => {
    const r = await fetchOnce(server.port, GET('/ten.txt', `Range: ${range}\r\n`));
    expect(r.status).toBe(status);
    if (body !== undefined) expect(r.body.toString()).toBe(body);
    expect(r.headers.get('content-range')).toBe(contentRange);
  });

  it('should answer 416 to any range of an empty file, and 206 at the edges of a 64 MiB one', async () => {
    expect((await fetchOnce(server.port, GET('/f0.bin', 'Range: bytes=0-\r\n'))).status).toBe(416);
    const big = files[`f${64 * MiB}.bin`];
    const tail = await fetchOnce(server.port, GET(`/f${64 * MiB}.bin`, 'Range: bytes=-3\r\n'));
    expect(tail.status).toBe(206);
    expect(tail.body).toEqual(big.subarray(big.length - 3));
    const mid = await download(server.port, `/f${64 * MiB}.bin`, agent, { Range: `bytes=${32 * MiB - 1}-${48 * MiB}` });
    expect(mid.status).toBe(206);
    expect(mid.sha).toBe(sha(big.subarray(32 * MiB - 1, 48 * MiB + 1)));
  });

  it('should answer If-Modified-Since with 304 unless the file is newer, and ignore a Range whose If-Range is stale', async () => {
    const since = (d: string) => fetchOnce(server.port, GET('/ten.txt', `If-Modified-Since: ${d}\r\n`));
    const same = await since(MTIME.toUTCString());
    expect(same.status).toBe(304);
    expect(same.headers.get('last-modified')).toBe(MTIME.toUTCString());
    expect((await since('Tue, 02 Jan 2024 03:04:04 GMT')).status).toBe(200);
    expect((await since('not a date')).status).toBe(200);
    const stale = await fetchOnce(server.port, GET('/ten.txt', 'Range: bytes=0-0\r\nIf-Range: Mon, 01 Jan 2024 00:00:00 GMT\r\n'));
    expect(stale.status).toBe(200);
    const fresh = await fetchOnce(server.port, GET('/ten.txt', `Range: bytes=0-0\r\nIf-Range: ${MTIME.toUTCString()}\r\n`));
    expect(fresh.status).toBe(206);
  });

  it('should serve a directory by its index.html, and refuse one without (403)', async () => {
    expect((await fetchOnce(server.port, GET('/dir/'))).body.toString()).toBe('<p>dir index</p>\n');
    expect((await fetchOnce(server.port, GET('/noindex/'))).status).toBe(403);
    expect((await fetchOnce(server.port, GET('/'))).status).toBe(403);
  });
});
