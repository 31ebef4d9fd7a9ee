import { type Handle } from '../common/Handle';
import { type InetAddr } from '../common/InetAddr';
import { type MessageBlock } from '../common/MessageBlock';
import { Handler } from './Handler';

/**
 * ACE_Service_Handler — POSA2 Completion Handler for one connection, made by
 * an AsynchAcceptor or AsynchConnector. The acceptor/connector calls, in
 * order: addresses() (when passAddresses), act() (when the accept carried
 * one), then open() with the new handle and any data read with the accept.
 *
 * @example
 * class Echo extends ServiceHandler {
 *   override open(handle: Handle, mb: MessageBlock) { … start the first read … }
 * }
 */
export class ServiceHandler extends Handler {
  /** The connection is ready: start its operations here. If this throws, the acceptor or connector that made the handler closes the handle. */
  open(_handle: Handle, _messageBlock: MessageBlock): void {}
  /** The peer's and our own addresses. */
  addresses(_remote: InetAddr, _local: InetAddr): void {}
  /** The act given to accept()/connect(). */
  act(_act: unknown): void {}
}
