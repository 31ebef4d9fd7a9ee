import { type Handle } from '../../common/Handle';
import { type InetAddr } from '../../common/InetAddr';
import { type MessageBlock } from '../../common/MessageBlock';
import { type NativeProactor } from '../../native/NativeBinding';
import { type AsynchOperation } from '../AsynchOperation';
import { AsynchResult, type Mutable } from '../AsynchResult';
import { type Handler } from '../Handler';
import { DgramMessage } from './DgramMessage';

/**
 * ACE_Asynch_Write_Dgram::Result — one sent datagram. On success the
 * chain's rdPtrs have moved past the bytes sent (a datagram goes whole or
 * not at all).
 */
export class AsynchWriteDgramResult extends AsynchResult {
  private readonly message = new DgramMessage();

  constructor(
    handler: Handler | null,
    /** The socket sent from. */
    readonly handle: Handle,
    /** The head of the chain the datagram was gathered from. */
    readonly messageBlock: MessageBlock,
    /** The chain's length when the send started. */
    readonly bytesToWrite: number,
    /** The sendmsg flags given. */
    readonly flags: number,
    /** Where the datagram went. */
    readonly remoteAddress: InetAddr,
    act: unknown,
    completionKey: unknown,
    priority: number,
    signalNumber: number,
    owner: AsynchOperation | null,
  ) {
    super(handler, act, completionKey, priority, signalNumber, owner);
    this.message.aim(messageBlock, bytesToWrite, false);
  }

  /** @internal A handler-form send may be reused by its operation. */
  override reusable(): boolean {
    return this.constructor === AsynchWriteDgramResult;
  }

  /** @internal Re-initiates this finished result as a new send (see AsynchOperation.recycle). */
  reuse(
    handler: Handler | null,
    handle: Handle,
    messageBlock: MessageBlock,
    bytesToWrite: number,
    flags: number,
    remoteAddress: InetAddr,
    act: unknown,
    completionKey: unknown,
    priority: number,
    signalNumber: number,
  ): this {
    this.reinitiate(handler, act, completionKey, priority, signalNumber);
    const self = this as Mutable<AsynchWriteDgramResult>;
    self.handle = handle;
    self.messageBlock = messageBlock;
    self.bytesToWrite = bytesToWrite;
    self.flags = flags;
    self.remoteAddress = remoteAddress;
    this.message.aim(messageBlock, bytesToWrite, false);
    return this;
  }

  /** @internal */
  prepare(native: NativeProactor): number {
    const m = this.message;
    return native.sendmsg(this.slot, this.gen, this.handle, m.views, m.block, this.remoteAddress.toSockaddr(), this.flags);
  }

  /** @internal */
  override complete(res: number, flags: number): void {
    if (res > 0) this.message.advanceRead(res);
    super.complete(res, flags);
  }

  protected dispatch(): void {
    this.handler()?.handleWriteDgram(this);
  }
}
