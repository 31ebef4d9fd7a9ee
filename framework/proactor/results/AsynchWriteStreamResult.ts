import { type Handle } from '../../common/Handle';
import { type MessageBlock } from '../../common/MessageBlock';
import { type NativeProactor } from '../../native/NativeBinding';
import { type AsynchOperation } from '../AsynchOperation';
import { AsynchResult } from '../AsynchResult';
import { type Handler } from '../Handler';
import { IoVectors } from './IoVectors';

/**
 * ACE_Asynch_Write_Stream::Result — the outcome of a stream write. On success
 * the message block's rdPtr has moved past the bytes written; a partial
 * write leaves the rest readable for the next write().
 */
export class AsynchWriteStreamResult extends AsynchResult {
  private readonly vectors: IoVectors | undefined;

  constructor(
    handler: Handler | null,
    /** The handle written to. */
    readonly handle: Handle,
    /** Where the bytes came from. */
    readonly messageBlock: MessageBlock,
    /** How many bytes were asked to be written. */
    readonly bytesToWrite: number,
    act: unknown,
    completionKey: unknown,
    priority: number,
    signalNumber: number,
    owner: AsynchOperation | null,
    vectored: boolean,
  ) {
    super(handler, act, completionKey, priority, signalNumber, owner);
    this.vectors = vectored ? IoVectors.forWrite(messageBlock, bytesToWrite) : undefined;
  }

  /** @internal */
  prepare(native: NativeProactor): number {
    if (this.vectors) return native.writev(this.slot, this.gen, this.handle, this.vectors.views, this.vectors.iovecs, -1);
    const mb = this.messageBlock;
    return native.write(this.slot, this.gen, this.handle, mb.buffer, mb.rdPtr(), this.bytesToWrite, -1);
  }

  /** @internal */
  override complete(res: number, flags: number): void {
    if (res > 0) {
      if (this.vectors) this.vectors.advanceRead(res);
      else this.messageBlock.rdPtr(res);
    }
    super.complete(res, flags);
  }

  protected dispatch(): void {
    this.handler()?.handleWriteStream(this);
  }
}
