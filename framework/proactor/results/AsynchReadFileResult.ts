import { type Handle } from '../../common/Handle';
import { type MessageBlock } from '../../common/MessageBlock';
import { type AsynchOperation } from '../AsynchOperation';
import { type Handler } from '../Handler';
import { AsynchReadStreamResult } from './AsynchReadStreamResult';

/**
 * ACE_Asynch_Read_File::Result — the outcome of a read at a file offset.
 * As a stream read's, plus where it read: `offset` (the whole 64-bit
 * value) and ACE's `offsetHigh` (its upper 32 bits). 0 bytes: past the end.
 */
export class AsynchReadFileResult extends AsynchReadStreamResult {
  constructor(
    handler: Handler | null,
    handle: Handle,
    messageBlock: MessageBlock,
    bytesToRead: number,
    /** The file offset the read started at. */
    readonly offset: number,
    act: unknown,
    completionKey: unknown,
    priority: number,
    signalNumber: number,
    owner: AsynchOperation | null,
    vectored: boolean,
  ) {
    super(handler, handle, messageBlock, bytesToRead, act, completionKey, priority, signalNumber, owner, vectored);
  }

  /** The upper 32 bits of offset (ACE's offset_high()). */
  get offsetHigh(): number {
    return Math.floor(this.offset / 0x100000000);
  }

  /** @internal A file read is never reused: each carries its own offset. */
  override reusable(): boolean {
    return false;
  }

  protected override position(): number {
    return this.offset;
  }

  /** Calls handler.handleReadFile(this). */
  protected override dispatch(): void {
    this.handler()?.handleReadFile(this);
  }
}
