import { INVALID_HANDLE, type Handle } from '../../framework/common/Handle';
import { type InetAddr } from '../../framework/common/InetAddr';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { ProactorError } from '../../framework/common/ProactorError';
import { SockAcceptor } from '../../framework/common/SockAcceptor';
import { loadNative } from '../../framework/native/loadNative';
import { type Proactor } from '../../framework/proactor/Proactor';
import { EventHandler } from '../../framework/reactor/EventHandler';
import { type AcceptedConnection, NonBlockingAccept } from '../../framework/reactor/NonBlockingAccept';
import { type Reactor } from '../../framework/reactor/Reactor';
import { ReactorMask, type ReactorMaskBits } from '../../framework/reactor/ReactorMask';
import { ServerEventHandler } from './ServerEventHandler';

/** What the server did, for its summary. */
export interface ServerStats {
  accepted: number;
  closed: number;
  lines: number;
  tooLong: number;
  /** Connections that ended in a read or write error (a reset, mostly). */
  failed: number;
}

/** Connections taken per wake before other events get their turn. */
const ACCEPTS_PER_WAKE = 64;
/** Delay before accepting again after EMFILE/ENFILE/ENOBUFS/ENOMEM. */
const RESOURCE_BACKOFF_MS = 100;

/**
 * The example's acceptor, where the two patterns meet: a Reactor Event
 * Handler registered for ACCEPT_MASK on the listening socket. When
 * connections wait it accepts them (synchronously, without blocking),
 * makes a ServerEventHandler for each and opens it on the Proactor, which
 * runs all of that connection's I/O. It keeps the registry of open
 * connections, so it can close them all.
 */
export class Acceptor extends EventHandler {
  readonly stats: ServerStats = { accepted: 0, closed: 0, lines: 0, tooLong: 0, failed: 0 };
  private readonly listener = new SockAcceptor();
  private readonly handlers = new Set<ServerEventHandler>();
  private proactor_: Proactor | undefined;
  private backoffTimer = 0;

  constructor(private readonly log: (line: string) => void = () => undefined) {
    super();
  }

  /** Listens on address, registers with reactor; connections go to proactor. */
  open(address: InetAddr, reactor: Reactor, proactor: Proactor): void {
    this.listener.open(address);
    this.proactor_ = proactor;
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

  getLocalAddr(): InetAddr {
    return this.listener.getLocalAddr();
  }

  /** Connections open now. */
  connections(): number {
    return this.handlers.size;
  }

  override handleInput(listenHandle: Handle): number {
    const rc = NonBlockingAccept.takeAll(listenHandle, ACCEPTS_PER_WAKE, (c) => this.admit(c));
    if (rc === 0) return 0;
    const reactor = this.reactor()!;
    if (NonBlockingAccept.isOutOfResources(-rc)) {
      this.log(`accept: ${ProactorError.fromErrno(rc, 'accept').code}; pausing ${RESOURCE_BACKOFF_MS} ms`);
      reactor.suspendHandler(this);
      this.backoffTimer = reactor.scheduleTimer(this, undefined, RESOURCE_BACKOFF_MS);
      return 0;
    }
    reactor.errorHook(ProactorError.fromErrno(rc, 'accept'), this);
    return -1;
  }

  override handleTimeout(): number {
    this.backoffTimer = 0;
    this.reactor()?.resumeHandler(this);
    return 0;
  }

  /** Removed from the reactor: the listening socket is closed. */
  override handleClose(_handle: Handle, _mask: ReactorMaskBits): number {
    if (this.backoffTimer) this.reactor()?.cancelTimer(this.backoffTimer);
    this.backoffTimer = 0;
    this.listener.close();
    return 0;
  }

  /** Stops accepting: leaves the reactor and closes the listening socket. */
  stopAccepting(): void {
    const reactor = this.reactor();
    if (!reactor || reactor.removeHandler(this, ReactorMask.ACCEPT_MASK) < 0) this.handleClose(INVALID_HANDLE, ReactorMask.ACCEPT_MASK);
  }

  /** Closes every open connection; settles when all are closed. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.handlers].map((h) => h.close()));
  }

  /** A ServerEventHandler's connection is closed. */
  remove(handler: ServerEventHandler): void {
    if (!this.handlers.delete(handler)) return;
    this.stats.closed++;
    this.log(`connection closed (${this.handlers.size} open)`);
  }

  private admit(connection: AcceptedConnection): void {
    const handler = new ServerEventHandler(this);
    handler.proactor(this.proactor_!);
    handler.handle(connection.handle);
    try {
      handler.open(connection.handle, new MessageBlock(0));
    } catch (e) {
      // The proactor refused the first read (it is closing): nobody owns the socket.
      loadNative().socket.close(connection.handle);
      this.reactor()?.errorHook(e, this);
      return;
    }
    this.handlers.add(handler);
    this.stats.accepted++;
    this.log(`connection from ${connection.remote} (${this.handlers.size} open)`);
  }
}
