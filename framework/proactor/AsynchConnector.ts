import { type InetAddr } from '../common/InetAddr';
import { MessageBlock } from '../common/MessageBlock';
import { ProactorError } from '../common/ProactorError';
import { debug } from '../common/debug';
import { SockStream } from '../common/SockStream';
import { INVALID_HANDLE } from '../common/Handle';
import { AsynchConnect } from './AsynchConnect';
import { Handler } from './Handler';
import { type Proactor } from './Proactor';
import { type ServiceHandler } from './ServiceHandler';
import { closeConnection, connectionAddress, handOffConnection } from './handOffConnection';
import { type AsynchConnectResult } from './results/AsynchConnectResult';

/** ACE_Asynch_Connector's open() parameters. */
export interface AsynchConnectorOptions<H extends ServiceHandler> {
  /** Makes the service handler for each connection (ACE's make_handler). */
  makeHandler?: () => H;
  /** Call handler.addresses(remote, local) before open(); default false. */
  passAddresses?: boolean;
  /**
   * Call validateConnection() for every attempt, failed ones too — the one
   * way a connector's user learns how a connect went, as ACE says; default
   * true, as in ACE.
   */
  validateNewConnection?: boolean;
  /** The proactor to connect on; default Proactor.instance(). */
  proactor?: Proactor;
}

/**
 * ACE_Asynch_Connector — POSA2 Connector (Acceptor-Connector) on the
 * Proactor: connects asynchronously and, on success, makes a ServiceHandler
 * and opens it. A failed attempt closes its socket, is logged with
 * NODE_DEBUG=proactor, and reaches validateConnection() (unless
 * validateNewConnection is false).
 *
 * @example
 * const connector = new AsynchConnector<Client>();
 * connector.open({ makeHandler: () => new Client() });
 * connector.connect(new InetAddr(8080, '127.0.0.1'));
 */
export class AsynchConnector<H extends ServiceHandler> extends Handler {
  private readonly asynchConnect = new AsynchConnect();
  private options: AsynchConnectorOptions<H> = {};

  /** Readies the connector (ACE's open): how to make handlers, whether to validate, which proactor. */
  open(options: AsynchConnectorOptions<H> = {}): void {
    this.options = options;
    this.asynchConnect.open(this, INVALID_HANDLE, undefined, options.proactor);
  }

  /** Starts a connection to remote, from local if given. */
  connect(remote: InetAddr, local?: InetAddr, reuseAddr = true, act?: unknown): void {
    this.asynchConnect.connect(INVALID_HANDLE, remote, local, reuseAddr, act);
  }

  /** Cancels the connects in flight; returns ACE's codes (see AsynchOperation.cancel). */
  cancel(): number {
    return this.asynchConnect.cancel();
  }

  /** Makes the handler for a new connection (ACE's make_handler): options.makeHandler, or override it. */
  makeHandler(): H {
    if (!this.options.makeHandler) {
      throw new ProactorError('invalid-argument', 'AsynchConnector: pass options.makeHandler or override makeHandler()');
    }
    return this.options.makeHandler();
  }

  /**
   * With validateNewConnection, called for every attempt (result.success
   * tells how it went); return false to drop a connection that succeeded.
   */
  validateConnection(_result: AsynchConnectResult, _remote: InetAddr, _local: InetAddr | undefined): boolean {
    return true;
  }

  /**
   * Hands a connection that succeeded to a handler (see handOffConnection):
   * the socket goes to the handler or is closed, whatever throws, as
   * AsynchAcceptor does. A local address that cannot be had is logged with
   * NODE_DEBUG=proactor and passed as the unspecified one (0.0.0.0:0 or [::]:0).
   */
  override handleConnect(result: AsynchConnectResult): void {
    const handle = result.connectHandle;
    const proactor = this.asynchConnect.proactor();
    const { passAddresses } = this.options;
    // A validateConnection that is not overridden accepts everything: no
    // need to call it, nor to look up the local address for it.
    const validateNewConnection = (this.options.validateNewConnection ?? true) && this.validateConnection !== AsynchConnector.prototype.validateConnection;
    const remote = result.remoteAddress;
    if (!result.success) {
      debug(`AsynchConnector: connect to ${remote} failed: ${result.errorCode}`);
      try {
        if (validateNewConnection) this.validateConnection(result, remote, undefined);
      } finally {
        closeConnection(proactor, handle);
      }
      return;
    }
    const local = passAddresses || validateNewConnection ? connectionAddress(() => SockStream.address(handle, 'local'), `AsynchConnector: the local address of ${handle}`, remote.family) : undefined;
    handOffConnection({
      proactor,
      handle,
      makeHandler: () => this.makeHandler(),
      validate: validateNewConnection ? () => this.validateConnection(result, remote, local) : undefined,
      addresses: passAddresses ? { remote, local: local! } : undefined,
      act: result.act,
      messageBlock: new MessageBlock(0),
    });
  }
}
