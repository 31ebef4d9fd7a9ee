import { INVALID_HANDLE, type Handle } from '../common/Handle';
import { type InetAddr } from '../common/InetAddr';
import { ProactorError } from '../common/ProactorError';
import { SockAcceptor, type SockAcceptorOptions } from '../common/SockAcceptor';
import { loadNative } from '../native/loadNative';
import { EventHandler } from './EventHandler';
import { type AcceptedConnection, NonBlockingAccept } from './NonBlockingAccept';
import { Reactor } from './Reactor';
import { ReactorMask, type ReactorMaskBits } from './ReactorMask';
import { type SvcHandler } from './SvcHandler';

/** ACE_Acceptor's open() parameters. */
export interface AcceptorOptions<S extends SvcHandler> extends SockAcceptorOptions {
  /** Makes the service handler for each connection (ACE's make_svc_handler). */
  makeSvcHandler?: () => S;
  /** Connections taken per wake before other handlers get their turn; default 64. */
  acceptsPerWake?: number;
}

/** Delay before accepting again after EMFILE/ENFILE/ENOBUFS/ENOMEM. */
const RESOURCE_BACKOFF_MS = 100;

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
export class Acceptor<SVC_HANDLER extends SvcHandler> extends EventHandler {
  private readonly listener = new SockAcceptor();
  private options: AcceptorOptions<SVC_HANDLER> = {};
  private backoffTimer = 0;

  /** Listens on localAddr and registers for ACCEPT_MASK with reactor. */
  open(localAddr: InetAddr, reactor: Reactor = Reactor.instance(), options: AcceptorOptions<SVC_HANDLER> = {}): void {
    if (this.listener.handle() !== INVALID_HANDLE) throw new ProactorError('invalid-argument', 'Acceptor is already open');
    this.options = options;
    this.listener.open(localAddr, options);
    try {
      reactor.registerHandler(this, ReactorMask.ACCEPT_MASK);
    } catch (e) {
      this.listener.close();
      throw e;
    }
  }

  override getHandle(): Handle {
    return this.listener.handle();
  }

  /** The passive-mode socket. */
  acceptor(): SockAcceptor {
    return this.listener;
  }

  /** The address it listens on. */
  getLocalAddr(): InetAddr {
    return this.listener.getLocalAddr();
  }

  /** Connections wait: each gets a service handler. */
  override handleInput(listenHandle: Handle): number {
    const rc = NonBlockingAccept.takeAll(listenHandle, this.options.acceptsPerWake ?? 64, (c) => this.admit(c));
    if (rc === 0) return 0;
    const reactor = this.reactor()!;
    if (NonBlockingAccept.isOutOfResources(-rc)) {
      reactor.suspendHandler(this);
      this.backoffTimer = reactor.scheduleTimer(this, undefined, RESOURCE_BACKOFF_MS);
      return 0;
    }
    reactor.errorHook(ProactorError.fromErrno(rc, 'accept'), this);
    return -1;
  }

  /** The back-off after running out of resources is over. */
  override handleTimeout(): number {
    this.backoffTimer = 0;
    this.reactor()?.resumeHandler(this);
    return 0;
  }

  /** Stops accepting: the listening socket is closed. */
  override handleClose(_handle: Handle, _closeMask: ReactorMaskBits): number {
    if (this.backoffTimer) this.reactor()?.cancelTimer(this.backoffTimer);
    this.backoffTimer = 0;
    this.listener.close();
    return 0;
  }

  /** Leaves the reactor and closes the listening socket. */
  close(): void {
    const reactor = this.reactor();
    if (!reactor || reactor.removeHandler(this, ReactorMask.ACCEPT_MASK) < 0) this.handleClose(INVALID_HANDLE, ReactorMask.ACCEPT_MASK);
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

  private admit(connection: AcceptedConnection): void {
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
