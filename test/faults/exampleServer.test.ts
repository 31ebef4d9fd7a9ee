/**
 * Faults against the example server (MainServer as a child process), on
 * every backend: clients that half-close with replies still owed, and a
 * client that sends without ever reading. In each: every reply arrives, in
 * order; the server closes every connection; it exits 0 with nothing left
 * open.
 */
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { backends } from '../support/backends';
import { expectNoFdLeaks } from '../support/leaks';
import { noChildNode, skipNote } from '../support/platform';
import { openSockets, type Server, startServer, until } from '../applications/support';

expectNoFdLeaks();

const line = (client: number, i: number) => `${client}:${i} ${'z'.repeat((client * 31 + i * 7) % 90)}`;

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/** A client that collects everything the server sends, and knows when the server has closed. */
function client(port: number): { socket: Socket; text: () => string; ended: () => boolean; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let ended = false;
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('end', () => (ended = true));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, text: () => Buffer.concat(chunks).toString(), ended: () => ended, closed };
}

(noChildNode ? describe.skip : describe).each(backends)(`example server faults on %s${skipNote(noChildNode)}`, (backend) => {
  let server: Server;
  let baseline: number;

  beforeEach(async () => {
    server = await startServer(['--backend', backend]);
    baseline = openSockets(server.pid);
  });

  afterEach(async () => {
    const exit = await server.stop('SIGTERM');
    expect(exit.stderr).toBe('');
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/0 open at shutdown, \d+ closed, 0 left open; \d+ lines echoed, 0 lines too long, 0 connections failed, 0 timed out\n$/);
  });

  describe('when clients send their lines and half-close at once', () => {
    it('should deliver every reply, in order, before closing each connection', async () => {
      const CLIENTS = 20;
      const LINES = 1000;
      const clients = Array.from({ length: CLIENTS }, (_, c) => {
        const k = client(server.port);
        // All the lines in one go, then FIN: the replies are still owed.
        k.socket.end(Array.from({ length: LINES }, (_, i) => `${line(c, i)}\n`).join(''));
        return k;
      });
      await until(() => clients.every((k) => k.ended()), () => `EOF on every client (${clients.filter((k) => k.ended()).length} of ${CLIENTS})`, 30_000);
      clients.forEach((k, c) => expect(k.text()).toBe(Array.from({ length: LINES }, (_, i) => `Echo - ${line(c, i)}\n`).join('')));
      await Promise.all(clients.map((k) => k.closed));
      await until(() => openSockets(server.pid) === baseline, () => `the server back to ${baseline} sockets (has ${openSockets(server.pid)})`);
    }, 60_000);
  });

  describe('when a client sends without reading', () => {
    it('should stop reading from it once its replies back up (memory stays bounded), then answer every line when it reads', async () => {
      const rssBefore = rssMiB(server.pid);
      const k = client(server.port);
      k.socket.pause();
      await new Promise((resolve) => k.socket.once('connect', resolve));
      // Sends lines until the socket stops draining for a second (the
      // server has stopped reading), or LIMIT bytes have gone: a server
      // that buffered what it cannot send would take them all.
      const LIMIT = 256 * 1024 * 1024;
      const LINES_PER_CHUNK = 1000;
      let lines = 0;
      let blocked = false;
      const deadline = Date.now() + 30_000;
      while (k.socket.bytesWritten - k.socket.writableLength < LIMIT && Date.now() < deadline) {
        let chunk = '';
        for (let i = 0; i < LINES_PER_CHUNK; i++) chunk += `${line(0, lines + i)}\n`;
        lines += LINES_PER_CHUNK;
        if (k.socket.write(chunk)) continue;
        const drained = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 1000);
          k.socket.once('drain', () => {
            clearTimeout(timer);
            resolve(true);
          });
        });
        if (!drained) {
          blocked = true;
          break;
        }
      }
      const sent = k.socket.bytesWritten - k.socket.writableLength;
      expect(blocked).toBe(true);
      // What the kernel's socket buffers hold on both sides, not more.
      expect(sent).toBeLessThan(64 * 1024 * 1024);
      expect(rssMiB(server.pid) - rssBefore).toBeLessThan(48);

      // Now it reads: every line it sent is answered, in order.
      k.socket.resume();
      k.socket.end();
      await until(() => k.ended(), () => `EOF after ${lines} replies (have ${k.text().split('\n').length - 1})`, 60_000);
      const replies = k.text().split('\n');
      expect(replies.pop()).toBe('');
      expect(replies.length).toBe(lines);
      replies.forEach((r, i) => {
        if (r !== `Echo - ${line(0, i)}`) throw new Error(`reply ${i} is ${JSON.stringify(r.slice(0, 60))}`);
      });
      await k.closed;
      await until(() => openSockets(server.pid) === baseline, () => `the server back to ${baseline} sockets (has ${openSockets(server.pid)})`);
    }, 90_000);
  });
});
