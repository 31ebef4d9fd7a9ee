/**
 * The reactor on the same box: a plain Node `net` echo server (libuv's epoll
 * loop underneath), written the idiomatic way. Prints its port when listening.
 *
 * With --graceful, SIGTERM makes it shut down as the example server does:
 * stop listening, close every open connection, and exit by itself once
 * they are closed (closeCost.js measures the two against each other).
 *
 * Usage: node dist/bench/servers/netEchoServer.js [--port 0] [--graceful]
 */
import * as net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, graceful: { type: 'boolean', default: false } } });

const open = new Set<net.Socket>();
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', (data) => socket.write(data));
  socket.on('error', () => socket.destroy());
  if (values.graceful) {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  }
});

server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`);
});

if (values.graceful) {
  process.once('SIGTERM', () => {
    server.close();
    for (const socket of open) socket.destroy();
  });
}
