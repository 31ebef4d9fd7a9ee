/**
 * The example_proactor pairing as an echo server for the benchmark: a
 * Reactor accepts (a PassiveEventHandler on the epoll Reactor) and hands
 * each connection to an EchoService on the Proactor, which runs all of its
 * I/O; both dispatch post-reactive from Node's loop. Prints its port when
 * listening.
 *
 * Usage: node dist/bench/servers/pairingEchoServer.js [--port 0] [--backend uring] [--reactor epoll|poll]
 */
import { parseArgs } from 'node:util';
import { InetAddr } from '../../framework/common/InetAddr';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { Proactor } from '../../framework/proactor/Proactor';
import { handOffConnection } from '../../framework/proactor/handOffConnection';
import { type AcceptedConnection } from '../../framework/reactor/NonBlockingAccept';
import { PassiveEventHandler } from '../../framework/reactor/PassiveEventHandler';
import { Reactor } from '../../framework/reactor/Reactor';
import { EchoService } from '../../applications/echo/EchoService';

/** Accepts on the Reactor; each connection's EchoService runs on the Proactor. */
class ReactiveAcceptor extends PassiveEventHandler {
  constructor(private readonly proactor: Proactor) {
    super();
  }

  open(address: InetAddr, reactor: Reactor): void {
    this.listen(address, reactor);
  }

  protected admit(connection: AcceptedConnection): void {
    try {
      handOffConnection({ proactor: this.proactor, handle: connection.handle, makeHandler: () => new EchoService(undefined, true), act: undefined, messageBlock: new MessageBlock(0) });
    } catch (e) {
      this.reactor()?.errorHook(e, this);
    }
  }
}

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, backend: { type: 'string' }, reactor: { type: 'string' } } });
const reactor = new Reactor({ backend: values.reactor });
const proactor = new Proactor({ backend: values.backend });
const acceptor = new ReactiveAcceptor(proactor);
acceptor.open(new InetAddr(Number(values.port), '127.0.0.1'), reactor);
process.stdout.write(`${acceptor.getLocalAddr().port}\n`);
process.stderr.write(`reactor: ${reactor.backend}, proactor: ${proactor.backend} (${proactor.implementation().describe()}), both post-reactive\n`);
void reactor.runReactorEventLoop();
void proactor.proactorRunEventLoop();
