import { type Handle } from '../../common/Handle';
import { type MessageBlock } from '../../common/MessageBlock';
import { type AsynchOperation } from '../AsynchOperation';
import { type Handler } from '../Handler';
import { AsynchWriteStreamResult } from './AsynchWriteStreamResult';

/**
 * ACE_Asynch_Write_File::Result — the outcome of a write at a file offset.
 * As a stream write's, plus where it wrote: `offset` (the whole 64-bit
 * value) and ACE's `offsetHigh` (its upper 32 bits).
 */
export class AsynchWriteFileResult extends AsynchWriteStreamResult {
  constructor(
    handler: Handler | null,
    handle: Handle,
    messageBlock: MessageBlock,
    bytesToWrite: number,
    /** The file offset the write started at. */
    readonly offset: number,
    act: unknown,
    completionKey: unknown,
    priority: number,
    signalNumber: number,
    owner: AsynchOperation | null,
    vectored: boolean,
  ) {
    super(handler, handle, messageBlock, bytesToWrite, act, completionKey, priority, signalNumber, owner, vectored);
  }

  /** The upper 32 bits of offset (ACE's offset_high()). */
  get offsetHigh(): number {
    return Math.floor(this.offset / 0x100000000);
  }

  /** @internal A file write is never reused: each carries its own offset. */
  override reusable(): boolean {
    return false;
  }

  protected override position(): number {
    return this.offset;
  }

  /** Calls handler.handleWriteFile(this). */
  protected override dispatch(): void {
    this.handler()?.handleWriteFile(this);
  }
}
