/**
 * The reactor on the same box: a plain Node `net` echo server (libuv's epoll
 * loop underneath), written the idiomatic way. Prints its port when listening.
 *
 * Usage: node dist/bench/servers/netEchoServer.js [--port 0]
 */
import * as net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', (data) => socket.write(data));
  socket.on('error', () => socket.destroy());
});

server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`);
});
