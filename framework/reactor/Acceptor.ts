import { type InetAddr } from '../common/InetAddr';
import { ProactorError } from '../common/ProactorError';
import { type SockAcceptorOptions } from '../common/SockAcceptor';
import { loadNative } from '../native/loadNative';
import { type AcceptedConnection } from './NonBlockingAccept';
import { PassiveEventHandler } from './PassiveEventHandler';
import { Reactor } from './Reactor';
import { type SvcHandler } from './SvcHandler';

/** ACE_Acceptor's open() parameters. */
export interface AcceptorOptions<S extends SvcHandler> extends SockAcceptorOptions {
  /** Makes the service handler for each connection (ACE's make_svc_handler). */
  makeSvcHandler?: () => S;
  /** Connections taken per wake before other handlers get their turn; default 64. */
  acceptsPerWake?: number;
}

/**
 * ACE_Acceptor<SVC_HANDLER, ACE_SOCK_Acceptor> — POSA2 Acceptor
 * (Acceptor-Connector) on the Reactor: a passive-mode SockAcceptor
 * registered for ACCEPT_MASK. When connections wait, it makes a
 * SVC_HANDLER for each (makeSvcHandler), gives it the connection
 * (acceptSvcHandler) and activates it (activateSvcHandler → open()).
 *
 * @example
 * const acceptor = new Acceptor<Echo>();
 * acceptor.open(new InetAddr(8080, '127.0.0.1'), Reactor.instance(), { makeSvcHandler: () => new Echo() });
 */
export class Acceptor<SVC_HANDLER extends SvcHandler> extends PassiveEventHandler {
  private options: AcceptorOptions<SVC_HANDLER> = {};

  /** Listens on localAddr and registers for ACCEPT_MASK with reactor. */
  open(localAddr: InetAddr, reactor: Reactor = Reactor.instance(), options: AcceptorOptions<SVC_HANDLER> = {}): void {
    this.options = options;
    this.listen(localAddr, reactor, options);
  }

  /** Makes the service handler for a connection; override, or pass options.makeSvcHandler. */
  makeSvcHandler(): SVC_HANDLER {
    if (!this.options.makeSvcHandler) throw new ProactorError('invalid-argument', 'Acceptor: pass options.makeSvcHandler or override makeSvcHandler()');
    return this.options.makeSvcHandler();
  }

  /** Gives the connection to the service handler. Return -1 to refuse it. */
  acceptSvcHandler(svc: SVC_HANDLER, connection: AcceptedConnection): number {
    svc.setHandle(connection.handle);
    svc.reactor(this.reactor());
    return 0;
  }

  /** Activates the service handler (open); closes it if it refuses. */
  activateSvcHandler(svc: SVC_HANDLER): number {
    let rc: number;
    try {
      rc = svc.open(this);
    } catch (e) {
      this.reactor()?.errorHook(e, svc);
      rc = -1;
    }
    if (rc < 0) svc.close();
    return rc;
  }

  protected admit(connection: AcceptedConnection): void {
    let svc: SVC_HANDLER;
    try {
      svc = this.makeSvcHandler();
    } catch (e) {
      loadNative().socket.close(connection.handle);
      this.reactor()?.errorHook(e, this);
      return;
    }
    if (this.acceptSvcHandler(svc, connection) < 0) {
      if (svc.getHandle() === connection.handle) svc.destroy();
      else loadNative().socket.close(connection.handle);
      return;
    }
    this.activateSvcHandler(svc);
  }
}
