/**
 * The framework's echo server for the benchmark: AsynchAcceptor +
 * EchoService (applications/echo, Nagle off) on one Proactor. Prints its port when listening.
 *
 * Usage: node dist/bench/servers/proactorEchoServer.js [--port 0]
 *          [--backend uring] [--dispatch post-reactive|call-through|pool] [--threads 2]
 *          [--defer-taskrun] [--sqpoll]   (io_uring set-up options; without the flag, the framework's default)
 *          [--registered]   (blocks from the registered buffer pool: READ_FIXED/WRITE_FIXED)
 *          [--block-size 65536]  (bytes of each connection's own block)
 *          [--ring]         (multishot reads into a shared buffer ring)
 *          [--ring-count 4096] [--ring-size 16384]  (its buffers and their size)
 *          [--fixed-files]  (registered-file slots for the connections)
 *          [--zc]           (zero-copy sends of 16 KiB and more)
 */
import { parseArgs } from 'node:util';
import { InetAddr } from '../../framework/common/InetAddr';
import { AsynchAcceptor } from '../../framework/proactor/AsynchAcceptor';
import { Proactor } from '../../framework/proactor/Proactor';
import { type DispatchStrategy, type ProactorOptions } from '../../framework/proactor/ProactorOptions';
import { ProactorPool } from '../../framework/proactor/ProactorPool';
import { type EchoBuffers, EchoService } from '../../applications/echo/EchoService';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    backend: { type: 'string' },
    dispatch: { type: 'string', default: 'post-reactive' },
    'defer-taskrun': { type: 'boolean' },
    sqpoll: { type: 'boolean', default: false },
    registered: { type: 'boolean', default: false },
    'block-size': { type: 'string', default: String(64 * 1024) },
    ring: { type: 'boolean', default: false },
    'ring-count': { type: 'string', default: '4096' },
    'ring-size': { type: 'string', default: String(16 * 1024) },
    'fixed-files': { type: 'boolean', default: false },
    zc: { type: 'boolean', default: false },
    threads: { type: 'string', default: '2' },
  },
});
const dispatch = values.dispatch as DispatchStrategy | 'pool';
if (dispatch !== 'post-reactive' && dispatch !== 'call-through' && dispatch !== 'pool') {
  throw new TypeError(`--dispatch must be post-reactive, call-through or pool, got ${values.dispatch}`);
}

const options: ProactorOptions = {
  backend: values.backend,
  deferTaskrun: values['defer-taskrun'] || undefined,
  sqpoll: values.sqpoll,
  // Enough for the benchmark's 1000 connections: one block, one slot each.
  bufferPool: { count: 1024, size: 64 * 1024 },
  fixedFiles: values['fixed-files'] ? 2048 : 0,
  zeroCopySendThreshold: values.zc ? 16 * 1024 : 0,
};

if (dispatch === 'pool') {
  if (values.ring) throw new TypeError('--ring cannot be used with --dispatch pool (a ring belongs to one thread)');
  // The thread-pool dispatcher: each worker thread a call-through Proactor and
  // an AsynchAcceptor on the shared port. The process ends by signal.
  const pool = new ProactorPool({
    threads: Number(values.threads),
    address: new InetAddr(Number(values.port), '127.0.0.1'),
    serviceModule: require.resolve('../../applications/echo/EchoService'),
    serviceExport: 'EchoService',
    serviceArgs: [undefined, true, values.registered ? 'registered' : 'own', Number(values['block-size'])],
    proactor: options,
  });
  void pool.start().then((address) => {
    process.stdout.write(`${address.port}\n`);
    process.stderr.write(`proactor: pool of ${values.threads} threads, ${pool.threadInfo().map((t) => t.backend).join(', ')}\n`);
  });
} else {
  serveOnThisThread(dispatch);
}

function serveOnThisThread(dispatch: DispatchStrategy): void {
  const proactor = new Proactor(options);
  const ring = values.ring ? proactor.createBufferRing({ count: Number(values['ring-count']), size: Number(values['ring-size']) }) : undefined;
  const buffers: EchoBuffers = ring ?? (values.registered ? 'registered' : 'own');
  const blockSize = Number(values['block-size']);
  const acceptor = new AsynchAcceptor<EchoService>();
  acceptor.open(new InetAddr(Number(values.port), '127.0.0.1'), { proactor, makeHandler: () => new EchoService(undefined, true, buffers, blockSize) });
  process.stdout.write(`${acceptor.getLocalAddr().port}\n`);
  process.stderr.write(`proactor: ${proactor.backend} (${proactor.implementation().describe()}), ${dispatch}\n`);
  // Call-through owns this thread from here on: the process ends by signal.
  void proactor.proactorRunEventLoop(dispatch);
}
