import { type MessageBlock } from '../../common/MessageBlock';
import { loadNative } from '../../native/loadNative';

/**
 * The scatter/gather list of a message block chain: one view per block with
 * room (readv) or data (writev), and the iovec array the native layer fills
 * in, kept alive together with the result.
 */
export class IoVectors {
  private constructor(
    /** The blocks, in chain order, that the views cover. */
    private readonly blocks: MessageBlock[],
    readonly views: Uint8Array[],
    readonly iovecs: Buffer,
  ) {}

  /** Views over the free space of the chain, up to `limit` bytes. */
  static forRead(head: MessageBlock, limit: number): IoVectors {
    return IoVectors.build(head, limit, (mb) => [mb.wrPtr(), mb.space()]);
  }

  /** Views over the readable bytes of the chain, up to `limit` bytes. */
  static forWrite(head: MessageBlock, limit: number): IoVectors {
    return IoVectors.build(head, limit, (mb) => [mb.rdPtr(), mb.length()]);
  }

  /** Moves wrPtr along the chain by the bytes read. */
  advanceWrite(bytes: number): void {
    for (const mb of this.blocks) {
      const n = Math.min(bytes, mb.space());
      mb.wrPtr(n);
      bytes -= n;
    }
  }

  /** Moves rdPtr along the chain by the bytes written. */
  advanceRead(bytes: number): void {
    for (const mb of this.blocks) {
      const n = Math.min(bytes, mb.length());
      mb.rdPtr(n);
      bytes -= n;
    }
  }

  private static build(
    head: MessageBlock,
    limit: number,
    range: (mb: MessageBlock) => [number, number],
  ): IoVectors {
    const blocks: MessageBlock[] = [];
    const views: Uint8Array[] = [];
    for (let mb: MessageBlock | null = head; mb && limit > 0; mb = mb.cont) {
      const [start, available] = range(mb);
      const n = Math.min(available, limit);
      if (n === 0) continue;
      blocks.push(mb);
      views.push(mb.buffer.subarray(start, start + n));
      limit -= n;
    }
    const iovecs = Buffer.alloc(Math.max(1, views.length) * loadNative().socket.constants.IOVEC_SIZE);
    return new IoVectors(blocks, views, iovecs);
  }
}
