import { INVALID_HANDLE, type Handle } from '../common/Handle';
import { InetAddr } from '../common/InetAddr';
import { type MessageBlock } from '../common/MessageBlock';
import { ProactorError } from '../common/ProactorError';
import { debug } from '../common/debug';
import { errnoName } from '../common/errno';
import { loadNative } from '../native/loadNative';
import { type Proactor } from './Proactor';
import { type ServiceHandler } from './ServiceHandler';

/** A new connection for handOffConnection: what ACE's handle_accept / handle_connect have at hand. */
export interface NewConnection<H extends ServiceHandler> {
  proactor: Proactor;
  /** The connected socket: handed to the handler, or closed. */
  handle: Handle;
  makeHandler: () => H;
  /** false refuses the connection (validate_connection); absent: accept it. */
  validate?: () => boolean;
  /** Given to handler.addresses() when present (passAddresses). */
  addresses?: { remote: InetAddr; local: InetAddr };
  /** Given to handler.act() unless undefined. */
  act: unknown;
  /** Given to handler.open(): the data read with the accept, if any. */
  messageBlock: MessageBlock;
}

/**
 * What ACE_Asynch_Acceptor::handle_accept and ACE_Asynch_Connector::handle_connect
 * both do with a connection: validate it, make the service handler, give it
 * the proactor and handle, then call addresses() (when asked for), act()
 * (when there is one) and open(). The handle always ends up with the
 * handler or closed: a refusal closes it, and so does a throw from any of
 * these hooks (as ACE's open() returning -1 does), the error then going on
 * to the caller, i.e. the proactor's errorHook.
 */
export function handOffConnection<H extends ServiceHandler>(c: NewConnection<H>): void {
  let accepted: boolean;
  let handler: H | undefined;
  try {
    accepted = c.validate?.() ?? true;
    if (accepted) {
      handler = c.makeHandler();
      open(handler, c);
    }
  } catch (e) {
    // The handle is taken back: a handler that closes this.handle() when
    // its cancelled operations complete finds nothing left to close, and
    // cannot close a number the kernel has given to another socket since.
    handler?.handle(INVALID_HANDLE);
    closeConnection(c.proactor, c.handle);
    throw e;
  }
  if (!accepted) closeConnection(c.proactor, c.handle);
}

function open<H extends ServiceHandler>(handler: H, c: NewConnection<H>): void {
  handler.proactor(c.proactor);
  handler.handle(c.handle);
  if (c.addresses) handler.addresses(c.addresses.remote, c.addresses.local);
  if (c.act !== undefined) handler.act(c.act);
  handler.open(c.handle, c.messageBlock);
}

/**
 * An address of a new connection, as ACE's parse_address gets it: a failed
 * lookup (getpeername says ENOTCONN once a peer has reset) does not fail the
 * connection. It is logged (NODE_DEBUG=proactor) and the unspecified address
 * of family (0.0.0.0:0 or [::]:0) stands in for the one that could not be had.
 */
export function connectionAddress(lookup: () => InetAddr, what: string, family: 4 | 6): InetAddr {
  try {
    return lookup();
  } catch (e) {
    const unspecified = new InetAddr(0, family === 6 ? '::' : '0.0.0.0');
    debug(`${what} failed (${(e as Error).message}); passing ${unspecified} instead`);
    return unspecified;
  }
}

/**
 * Closes a connection nobody owns: through the proactor (cancelling what
 * is in flight on it), or at once if the proactor has closed meanwhile.
 */
export function closeConnection(proactor: Proactor, handle: Handle): void {
  proactor.closeHandle(handle).catch((e: unknown) => {
    if (ProactorError.is(e, 'closed')) {
      const rc = loadNative().socket.close(handle);
      if (rc < 0) debug(`close(${handle}): ${errnoName(-rc)}`);
    } else {
      debug(`close(${handle}): ${(e as Error).message}`);
    }
  });
}
