import { type Handle } from '../../common/Handle';
import { type MessageBlock } from '../../common/MessageBlock';
import { type NativeProactor } from '../../native/NativeBinding';
import { type AsynchOperation } from '../AsynchOperation';
import { AsynchResult, type Mutable } from '../AsynchResult';
import { type Handler } from '../Handler';
import { IoVectors } from './IoVectors';

/**
 * ACE_Asynch_Read_Stream::Result — the outcome of a stream read. On success
 * the message block's wrPtr has moved past the bytes read (over the chain,
 * for readv); 0 bytes means the peer closed (EOF).
 */
export class AsynchReadStreamResult extends AsynchResult {
  private readonly vectors: IoVectors | undefined;
  /** @internal On a socket, where the backend prefers it: recv instead of read (set by the stream). */
  viaSocket = false;

  constructor(
    handler: Handler | null,
    /** The handle read from. */
    readonly handle: Handle,
    /** Where the bytes went. */
    public messageBlock: MessageBlock,
    /** How many bytes were asked for. */
    readonly bytesToRead: number,
    act: unknown,
    completionKey: unknown,
    priority: number,
    signalNumber: number,
    owner: AsynchOperation | null,
    vectored: boolean,
  ) {
    super(handler, act, completionKey, priority, signalNumber, owner);
    this.vectors = vectored ? IoVectors.forRead(messageBlock, bytesToRead) : undefined;
  }

  /** @internal A plain read (not vectored) may be reused by its stream. */
  override reusable(): boolean {
    return this.vectors === undefined && this.constructor === AsynchReadStreamResult;
  }

  /** @internal Re-initiates this finished result as a new read (see AsynchOperation.recycle). */
  reuse(handler: Handler | null, handle: Handle, messageBlock: MessageBlock, bytesToRead: number, act: unknown, completionKey: unknown, priority: number, signalNumber: number): this {
    this.reinitiate(handler, act, completionKey, priority, signalNumber);
    const self = this as Mutable<AsynchReadStreamResult>;
    // The stream may have been re-opened on another handle since.
    self.handle = handle;
    self.messageBlock = messageBlock;
    self.bytesToRead = bytesToRead;
    return this;
  }

  /** @internal */
  prepare(native: NativeProactor): number {
    const at = this.position();
    if (this.vectors) return native.readv(this.slot, this.gen, this.handle, this.vectors.views, this.vectors.iovecs, at);
    const mb = this.messageBlock;
    if (mb.registeredWith === native) {
      return native.readFixed(this.slot, this.gen, this.handle, mb.buffer, mb.wrPtr(), this.bytesToRead, at, mb.ownerIndex);
    }
    if (this.viaSocket && at === -1) return native.recv(this.slot, this.gen, this.handle, mb.buffer, mb.wrPtr(), this.bytesToRead, 0);
    return native.read(this.slot, this.gen, this.handle, mb.buffer, mb.wrPtr(), this.bytesToRead, at);
  }

  /** Where in the file the read starts; -1: a stream's current position. */
  protected position(): number {
    return -1;
  }

  /** @internal */
  override complete(res: number, flags: number): void {
    if (res > 0) this.received(res);
    super.complete(res, flags);
  }

  /** Moves the write pointer past the res bytes the kernel put in the block(s). */
  protected received(res: number): void {
    if (this.vectors) this.vectors.advanceWrite(res);
    else this.messageBlock.wrPtr(res);
  }

  protected dispatch(): void {
    this.handler()?.handleReadStream(this);
  }
}
