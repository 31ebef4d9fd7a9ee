/**
 * The reference for JAWS: a static file server on Node's `http`, written
 * the idiomatic way — stat the file, send its head, pipe a read stream into
 * the response (keep-alive as Node does it). Prints its port when listening.
 *
 * Usage: node dist/bench/servers/nodeStaticServer.js --root DIR [--port 0]
 */
import { createReadStream, stat } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { root: { type: 'string' }, port: { type: 'string', default: '0' } } });
const root = values.root!;

const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]));
  if (path.includes('..') || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(400).end();
    return;
  }
  const file = join(root, path);
  stat(file, (err, st) => {
    if (err || !st.isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': st.size, 'Last-Modified': st.mtime.toUTCString() });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
});

server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
