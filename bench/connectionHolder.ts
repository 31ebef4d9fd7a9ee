/**
 * Holds idle connections to a server for another process that measures it
 * (closeCost.js): with the clients here, the measuring process has nothing
 * to do while the server shuts down, so its clock reads the server alone.
 * Loopback only.
 *
 * Opens --count connections to 127.0.0.1:--port, --batch at a time; unless
 * --silent, each sends one empty line and waits for a reply. Prints
 * "ready <count>" once all are open, then holds them until its stdin ends,
 * and exits without closing them one by one (the kernel closes them). More
 * than 20,000 connections use several loopback source addresses.
 *
 * Usage: node dist/bench/connectionHolder.js --port P --count N [--batch 256] [--silent]
 */
import * as net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    count: { type: 'string' },
    batch: { type: 'string', default: '256' },
    silent: { type: 'boolean', default: false },
  },
});
const port = Number(values.port);
const count = Number(values.count);
const batch = Number(values.batch);
/** Connections per loopback source address (below the ephemeral port range's size). */
const PER_SOURCE = 20_000;

if (!(port > 0 && port < 65536 && Number.isInteger(count) && count >= 0 && batch >= 1)) {
  process.stderr.write('usage: node dist/bench/connectionHolder.js --port P --count N [--batch 256] [--silent]\n');
  process.exit(2);
}

function open(index: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: `127.0.0.${2 + Math.floor(index / PER_SOURCE)}` });
    socket.once('error', reject);
    socket.once('connect', () => {
      if (values.silent) return resolve(socket);
      socket.once('data', () => resolve(socket));
      socket.write('\n');
    });
  });
}

async function main(): Promise<void> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i += batch) {
    const opened = await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, j) => open(i + j)));
    for (const s of opened) {
      // What comes later (the server's close) needs no answer.
      s.on('error', () => undefined);
      s.resume();
      sockets.push(s);
    }
  }
  process.stdout.write(`ready ${sockets.length}\n`);
  process.stdin.resume();
  process.stdin.once('end', () => process.exit(0));
}

main().catch((e: Error) => {
  process.stderr.write(`connectionHolder: ${e.message}\n`);
  process.exit(1);
});
