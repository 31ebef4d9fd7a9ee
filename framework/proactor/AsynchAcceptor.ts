import { HandOffInbox } from '../common/HandOffInbox';
import { INVALID_HANDLE } from '../common/Handle';
import { type InetAddr } from '../common/InetAddr';
import { MessageBlock } from '../common/MessageBlock';
import { ProactorError } from '../common/ProactorError';
import { SockAcceptor } from '../common/SockAcceptor';
import { SockStream } from '../common/SockStream';
import { debug } from '../common/debug';
import { Errno, errnoName } from '../common/errno';
import { AsynchAccept } from './AsynchAccept';
import { Handler } from './Handler';
import { type Proactor } from './Proactor';
import { type ServiceHandler } from './ServiceHandler';
import { connectionAddress, handOffConnection } from './handOffConnection';
import { type AsynchAcceptResult } from './results/AsynchAcceptResult';

/** ACE_Asynch_Acceptor's open() parameters. */
export interface AsynchAcceptorOptions<H extends ServiceHandler> {
  /** Makes the service handler for each connection (ACE's make_handler). */
  makeHandler?: () => H;
  /** Bytes of each connection to read before open() (AcceptEx style); default 0. */
  bytesToRead?: number;
  /** Call handler.addresses(remote, local) before open(); default false. */
  passAddresses?: boolean;
  /** listen() backlog; default 511. */
  backlog?: number;
  /** SO_REUSEADDR; default true. */
  reuseAddr?: boolean;
  /** SO_REUSEPORT; default false. */
  reusePort?: boolean;
  /** The proactor to accept on; default Proactor.instance(). */
  proactor?: Proactor;
  /** Ask validateConnection() before making a handler; default false. */
  validateNewConnection?: boolean;
  /** Start another accept as each one completes; default true. */
  reissueAccept?: boolean;
  /** Accepts kept in flight; -1 (default): as many as min(backlog, 16). Not used when multishot. */
  numberOfInitialAccepts?: number;
  /**
   * One multishot accept instead of numberOfInitialAccepts single ones:
   * one operation serves every connection. Default: on where the backend
   * has it, bytesToRead is 0 and reissueAccept is on.
   */
  multishot?: boolean;
}

/** Delay before re-accepting after EMFILE/ENFILE/ENOBUFS/ENOMEM. */
const RESOURCE_BACKOFF_MS = 100;
const RESOURCE_ERRORS = new Set([Errno.EMFILE, Errno.ENFILE, Errno.ENOBUFS, Errno.ENOMEM]);

/**
 * ACE_Asynch_Acceptor — POSA2 Acceptor (Acceptor-Connector) on the
 * Proactor: keeps accepts in flight on a listening socket and, for each
 * connection, makes a ServiceHandler and opens it.
 *
 * @example
 * const acceptor = new AsynchAcceptor<Echo>();
 * acceptor.open(new InetAddr(8080), { makeHandler: () => new Echo() });
 */
export class AsynchAcceptor<H extends ServiceHandler> extends Handler {
  private readonly listener = new SockAcceptor();
  private readonly asynchAccept = new AsynchAccept();
  private options: Required<Omit<AsynchAcceptorOptions<H>, 'proactor' | 'makeHandler' | 'multishot'>> & Pick<AsynchAcceptorOptions<H>, 'makeHandler'> = {
    bytesToRead: 0, passAddresses: false, backlog: 511, reuseAddr: true, reusePort: false,
    validateNewConnection: false, reissueAccept: true, numberOfInitialAccepts: -1,
  };
  private multishot = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  private backoffTimer = 0;
  /** The listening address's family: that of the unspecified address a failed lookup passes. */
  private family: 4 | 6 = 4;

  /** Listens on address and starts the initial accepts. */
  open(address: InetAddr, options: AsynchAcceptorOptions<H> = {}): void {
    if (this.listener.handle() !== INVALID_HANDLE) throw new ProactorError('invalid-argument', 'AsynchAcceptor is already open');
    // An option given as undefined keeps its default (a spread would
    // replace it: a backlog of undefined made no initial accepts).
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { ...this.options, ...given };
    const { backlog, reuseAddr, reusePort } = this.options;
    this.listener.open(address, { backlog, reuseAddr, reusePort });
    this.family = address.family;
    this.handle(this.listener.handle());
    try {
      this.asynchAccept.open(this, this.listener.handle(), undefined, options.proactor);
      const canMultishot =
        this.options.bytesToRead === 0 && this.options.reissueAccept && this.asynchAccept.proactor().implementation().supports('acceptMultishot') && !HandOffInbox.of(this.listener.handle());
      if (options.multishot && !canMultishot) {
        throw new ProactorError('unsupported', `AsynchAcceptor: multishot accept needs bytesToRead 0, reissueAccept, a backend that has it (${this.asynchAccept.proactor().backend}) and a listening socket of its own, not a pool's hand-off`);
      }
      this.multishot = options.multishot ?? canMultishot;
      if (this.multishot) {
        this.asynchAccept.acceptMultishot();
      } else {
        const initial = this.options.numberOfInitialAccepts;
        const count = initial < 0 ? Math.min(backlog, 16) : initial;
        for (let i = 0; i < count; i++) this.accept(this.options.bytesToRead);
      }
    } catch (e) {
      this.listener.close();
      throw e;
    }
  }

  /** Whether one multishot accept serves every connection. */
  isMultishot(): boolean {
    return this.multishot;
  }

  /** Starts one more accept. */
  accept(bytesToRead = 0, act?: unknown): void {
    this.asynchAccept.accept(new MessageBlock(bytesToRead), bytesToRead, INVALID_HANDLE, act);
  }

  /** The address it listens on. */
  getLocalAddr(): InetAddr {
    return this.listener.getLocalAddr();
  }

  /** Cancels the accepts in flight; returns ACE's codes (see AsynchOperation.cancel). */
  cancel(): number {
    return this.asynchAccept.cancel();
  }

  /** Stops accepting: cancels the accepts and closes the listening socket. */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    if (this.listener.handle() === INVALID_HANDLE) return Promise.resolve();
    this.closing = true;
    if (this.backoffTimer) this.proactor()?.cancelTimer(this.backoffTimer);
    const proactor = this.asynchAccept.proactor();
    if (proactor.implementation().isClosed()) {
      // Its accepts ended with the proactor; only the socket is left.
      this.listener.close();
      this.closed = Promise.resolve();
    } else {
      this.closed = proactor.closeHandle(this.listener.handle());
    }
    return this.closed;
  }

  /** Makes the service handler for a new connection (ACE's make_handler). */
  makeHandler(): H {
    if (!this.options.makeHandler) {
      throw new ProactorError('invalid-argument', 'AsynchAcceptor: pass options.makeHandler or override makeHandler()');
    }
    return this.options.makeHandler();
  }

  /** With validateNewConnection: return false to refuse (close) the connection. */
  validateConnection(_result: AsynchAcceptResult, _remote: InetAddr, _local: InetAddr): boolean {
    return true;
  }

  /**
   * Hands the new connection to a handler (see handOffConnection): the
   * accepted handle goes to the handler or is closed, whatever throws. With
   * passAddresses or validateNewConnection, an address the kernel can no
   * longer give (a peer that reset before this ran has no peer address) is
   * logged with NODE_DEBUG=proactor and passed as the unspecified address
   * (0.0.0.0:0 or [::]:0); the handler is still opened, and its first read
   * reports the reset.
   */
  override handleAccept(result: AsynchAcceptResult): void {
    try {
      if (result.success) this.admit(result);
    } finally {
      this.reissue(result);
    }
  }

  override handleTimeOut(): void {
    this.backoffTimer = 0;
    if (!this.closing) this.rearm(undefined);
  }

  private admit(result: AsynchAcceptResult): void {
    const handle = result.acceptHandle;
    const { passAddresses, validateNewConnection } = this.options;
    let addresses: { remote: InetAddr; local: InetAddr } | undefined;
    if (passAddresses || validateNewConnection) {
      addresses = {
        remote: connectionAddress(() => result.remoteAddress(), `AsynchAcceptor: the peer address of ${handle}`, this.family),
        local: connectionAddress(() => SockStream.address(handle, 'local'), `AsynchAcceptor: the local address of ${handle}`, this.family),
      };
    }
    handOffConnection({
      proactor: this.asynchAccept.proactor(),
      handle,
      makeHandler: () => this.makeHandler(),
      validate: validateNewConnection ? () => this.validateConnection(result, addresses!.remote, addresses!.local) : undefined,
      addresses: passAddresses ? addresses : undefined,
      act: result.act,
      messageBlock: result.messageBlock,
    });
  }

  private reissue(result: AsynchAcceptResult): void {
    // A multishot accept goes on by itself until its last completion.
    if (result.more || !this.options.reissueAccept || this.closing || result.error === Errno.ECANCELED) return;
    if (result.handOffEnded) {
      // A pool's doorbell at its end reads end of stream at once: accepting again would spin.
      debug(`AsynchAcceptor: the pool's hand-off on ${this.listener.handle()} has ended (${errnoName(result.error)}); accepting no more`);
      return;
    }
    if (RESOURCE_ERRORS.has(result.error)) {
      // Out of fds or memory: accepting again at once would spin.
      if (!this.backoffTimer) this.backoffTimer = this.asynchAccept.proactor().scheduleTimer(this, undefined, RESOURCE_BACKOFF_MS);
      return;
    }
    this.rearm(result.act);
  }

  private rearm(act: unknown): void {
    if (this.multishot) this.asynchAccept.acceptMultishot(act);
    else this.accept(this.options.bytesToRead, act);
  }
}
