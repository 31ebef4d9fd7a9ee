/**
 * The framework's echo server for the benchmark: AsynchAcceptor +
 * EchoService (applications/echo, Nagle off) on one Proactor. Prints its port when listening.
 *
 * Usage: node dist/bench/servers/proactorEchoServer.js [--port 0]
 *          [--backend uring] [--dispatch post-reactive|call-through]
 *          [--defer-taskrun] [--sqpoll]   (io_uring set-up options; without the flag, the framework's default)
 */
import { parseArgs } from 'node:util';
import { InetAddr } from '../../framework/common/InetAddr';
import { AsynchAcceptor } from '../../framework/proactor/AsynchAcceptor';
import { Proactor } from '../../framework/proactor/Proactor';
import { type DispatchStrategy } from '../../framework/proactor/ProactorOptions';
import { EchoService } from '../../applications/echo/EchoService';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    backend: { type: 'string' },
    dispatch: { type: 'string', default: 'post-reactive' },
    'defer-taskrun': { type: 'boolean' },
    sqpoll: { type: 'boolean', default: false },
  },
});
const dispatch = values.dispatch as DispatchStrategy;
if (dispatch !== 'post-reactive' && dispatch !== 'call-through') {
  throw new TypeError(`--dispatch must be post-reactive or call-through, got ${values.dispatch}`);
}

const proactor = new Proactor({ backend: values.backend, deferTaskrun: values['defer-taskrun'] || undefined, sqpoll: values.sqpoll });
const acceptor = new AsynchAcceptor<EchoService>();
acceptor.open(new InetAddr(Number(values.port), '127.0.0.1'), { proactor, makeHandler: () => new EchoService(undefined, true) });
process.stdout.write(`${acceptor.getLocalAddr().port}\n`);
process.stderr.write(`proactor: ${proactor.backend} (${proactor.implementation().describe()}), ${dispatch}\n`);
// Call-through owns this thread from here on: the process ends by signal.
void proactor.proactorRunEventLoop(dispatch);
