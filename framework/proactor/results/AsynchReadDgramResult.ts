import { type Handle } from '../../common/Handle';
import { type InetAddr } from '../../common/InetAddr';
import { type MessageBlock } from '../../common/MessageBlock';
import { loadNative } from '../../native/loadNative';
import { type NativeProactor } from '../../native/NativeBinding';
import { type AsynchOperation } from '../AsynchOperation';
import { AsynchResult, type Mutable } from '../AsynchResult';
import { type Handler } from '../Handler';
import { DgramMessage } from './DgramMessage';

/**
 * ACE_Asynch_Read_Dgram::Result — one received datagram. On success the
 * chain's wrPtrs have moved past the bytes received (block by block),
 * `remoteAddress` names the sender and `flags` holds the kernel's message
 * flags: MSG_TRUNC (see `truncated`) when the datagram was longer than
 * the chain's space and its tail was dropped.
 */
export class AsynchReadDgramResult extends AsynchResult {
  /** The sender; null before completion, on failure, or for a sender that is not IPv4/IPv6. */
  remoteAddress: InetAddr | null = null;
  /** The kernel's message flags on completion (the flags asked for until then). */
  flags: number;
  private readonly message = new DgramMessage();

  constructor(
    handler: Handler | null,
    /** The socket received from. */
    readonly handle: Handle,
    /** The head of the chain the datagram went into. */
    readonly messageBlock: MessageBlock,
    /** The chain's space when the receive started. */
    readonly bytesToRead: number,
    /** The recvmsg flags asked for (MSG_PEEK, MSG_TRUNC, …). */
    readonly requestFlags: number,
    /** The AF_ number given to recv() (0: none). */
    readonly protocolFamily: number,
    act: unknown,
    completionKey: unknown,
    priority: number,
    signalNumber: number,
    owner: AsynchOperation | null,
  ) {
    super(handler, act, completionKey, priority, signalNumber, owner);
    this.flags = requestFlags;
    this.message.aim(messageBlock, bytesToRead, true);
  }

  /** @internal A handler-form receive may be reused by its operation. */
  override reusable(): boolean {
    return this.constructor === AsynchReadDgramResult;
  }

  /** @internal Re-initiates this finished result as a new receive (see AsynchOperation.recycle). */
  reuse(
    handler: Handler | null,
    handle: Handle,
    messageBlock: MessageBlock,
    bytesToRead: number,
    requestFlags: number,
    protocolFamily: number,
    act: unknown,
    completionKey: unknown,
    priority: number,
    signalNumber: number,
  ): this {
    this.reinitiate(handler, act, completionKey, priority, signalNumber);
    const self = this as Mutable<AsynchReadDgramResult>;
    self.handle = handle;
    self.messageBlock = messageBlock;
    self.bytesToRead = bytesToRead;
    self.requestFlags = requestFlags;
    self.protocolFamily = protocolFamily;
    this.flags = requestFlags;
    this.remoteAddress = null;
    this.message.aim(messageBlock, bytesToRead, true);
    return this;
  }

  /** The datagram was longer than the chain's space; the rest of it is lost. */
  get truncated(): boolean {
    return (this.flags & loadNative().socket.constants.MSG_TRUNC) !== 0;
  }

  /** @internal */
  prepare(native: NativeProactor): number {
    const m = this.message;
    return native.recvmsg(this.slot, this.gen, this.handle, m.views, m.block, this.requestFlags);
  }

  /** @internal */
  override complete(res: number, flags: number): void {
    if (res >= 0) {
      this.message.advanceWrite(res);
      this.flags = this.message.flags();
      this.remoteAddress = this.message.address();
    } else {
      this.flags = 0;
      this.remoteAddress = null;
    }
    super.complete(res, flags);
  }

  protected dispatch(): void {
    this.handler()?.handleReadDgram(this);
  }
}
