import { endianness } from 'node:os';
import { InetAddr } from '../../common/InetAddr';
import { type MessageBlock } from '../../common/MessageBlock';
import { loadNative } from '../../native/loadNative';

const littleEndian = endianness() === 'LE';

/**
 * One datagram's memory as the kernel sees it: a view per block of a
 * message block chain, and one Buffer holding the system's message header,
 * the peer's address and the iovecs (laid out by the native layer). The
 * result keeps both alive until its completion is reaped; the kernel
 * writes the sender's address and the message flags back into the Buffer.
 * A reused result points its message at the next chain, keeping the Buffer
 * when it is large enough.
 */
export class DgramMessage {
  /** The message header, the address and the iovecs. */
  block: Buffer = EMPTY;
  /** The blocks, in chain order, that the views cover. */
  private readonly blocks: MessageBlock[] = [];
  readonly views: Uint8Array[] = [];

  /** Views over the free space of the chain (a receive), or its readable bytes (a send), up to limit bytes. */
  aim(head: MessageBlock, limit: number, receive: boolean): this {
    this.blocks.length = 0;
    this.views.length = 0;
    for (let mb: MessageBlock | null = head; mb && limit > 0; mb = mb.cont) {
      const start = receive ? mb.wrPtr() : mb.rdPtr();
      const n = Math.min(receive ? mb.space() : mb.length(), limit);
      if (n === 0) continue;
      this.blocks.push(mb);
      this.views.push(mb.buffer.subarray(start, start + n));
      limit -= n;
    }
    const c = loadNative().socket.constants;
    const size = c.MSG_IOV_OFFSET + Math.max(1, this.views.length) * c.IOVEC_SIZE;
    if (this.block.length < size) this.block = Buffer.alloc(size);
    return this;
  }

  /** Moves wrPtr along the chain by the bytes received. */
  advanceWrite(bytes: number): void {
    for (const mb of this.blocks) {
      const n = Math.min(bytes, mb.space());
      mb.wrPtr(n);
      bytes -= n;
    }
  }

  /** Moves rdPtr along the chain by the bytes sent. */
  advanceRead(bytes: number): void {
    for (const mb of this.blocks) {
      const n = Math.min(bytes, mb.length());
      mb.rdPtr(n);
      bytes -= n;
    }
  }

  /** The message flags the kernel wrote back (MSG_TRUNC, …). */
  flags(): number {
    return this.uint32(loadNative().socket.constants.MSG_FLAGS_OFFSET);
  }

  /** The sender's address the kernel wrote back, or null when it gave none that is IPv4 or IPv6. */
  address(): InetAddr | null {
    const c = loadNative().socket.constants;
    if (this.uint32(c.MSG_NAMELEN_OFFSET) === 0) return null;
    const at = c.MSG_NAME_OFFSET;
    const family = littleEndian ? this.block.readUInt16LE(at) : this.block.readUInt16BE(at);
    if (family !== c.AF_INET && family !== c.AF_INET6) return null;
    return InetAddr.fromSockaddr(this.block, at);
  }

  private uint32(at: number): number {
    return littleEndian ? this.block.readUInt32LE(at) : this.block.readUInt32BE(at);
  }
}

const EMPTY = Buffer.alloc(0);
