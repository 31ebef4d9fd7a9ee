import { INVALID_HANDLE, type Handle } from '../common/Handle';
import { type InetAddr } from '../common/InetAddr';
import { ProactorError } from '../common/ProactorError';
import { SockAcceptor, type SockAcceptorOptions } from '../common/SockAcceptor';
import { EventHandler } from './EventHandler';
import { type AcceptedConnection, NonBlockingAccept } from './NonBlockingAccept';
import { type Reactor } from './Reactor';
import { ReactorMask, type ReactorMaskBits } from './ReactorMask';

/** Delay before accepting again after EMFILE/ENFILE/ENOBUFS/ENOMEM. */
const RESOURCE_BACKOFF_MS = 100;

/**
 * The passive-mode half of ACE_Acceptor — a Reactor Event Handler over a
 * listening SockAcceptor, registered for ACCEPT_MASK. When connections
 * wait it takes them without blocking and gives each to admit(); out of
 * fds or memory, it steps back for 100 ms instead of spinning. Subclasses
 * say what a connection becomes: Acceptor makes a SvcHandler, an
 * application may hand the socket to a Proactor.
 */
export abstract class PassiveEventHandler extends EventHandler {
  private readonly listener = new SockAcceptor();
  private acceptsPerWake = 64;
  private backoffTimer = 0;

  /** The connection just accepted; the subclass now owns its handle. */
  protected abstract admit(connection: AcceptedConnection): void;

  /** Told when accepting pauses for lack of resources ('EMFILE', …). */
  protected resourceShortage(_code: string): void {}

  /** Listens on localAddr and registers for ACCEPT_MASK with reactor. */
  protected listen(localAddr: InetAddr, reactor: Reactor, options: SockAcceptorOptions & { acceptsPerWake?: number } = {}): void {
    if (this.listener.handle() !== INVALID_HANDLE) throw new ProactorError('invalid-argument', `${this.constructor.name} is already open`);
    this.acceptsPerWake = options.acceptsPerWake ?? 64;
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

  /** Connections wait: each goes to admit(). */
  override handleInput(listenHandle: Handle): number {
    const rc = NonBlockingAccept.takeAll(listenHandle, this.acceptsPerWake, (c) => this.admit(c));
    if (rc === 0) return 0;
    const reactor = this.reactor()!;
    if (NonBlockingAccept.isOutOfResources(-rc)) {
      this.resourceShortage(ProactorError.fromErrno(rc, 'accept').code);
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

  /** Removed from the reactor: the listening socket is closed. */
  override handleClose(_handle: Handle, _closeMask: ReactorMaskBits): number {
    if (this.backoffTimer) this.reactor()?.cancelTimer(this.backoffTimer);
    this.backoffTimer = 0;
    this.listener.close();
    return 0;
  }

  /** Stops accepting: leaves the reactor and closes the listening socket. */
  close(): void {
    const reactor = this.reactor();
    if (!reactor || reactor.removeHandler(this, ReactorMask.ACCEPT_MASK) < 0) this.handleClose(INVALID_HANDLE, ReactorMask.ACCEPT_MASK);
  }
}
