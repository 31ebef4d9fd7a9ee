import { endianness } from 'node:os';
import { InetAddr } from '../../common/InetAddr';
import { type MessageBlock } from '../../common/MessageBlock';
import { loadNative } from '../../native/loadNative';
import { IoVectors } from './IoVectors';

const littleEndian = endianness() === 'LE';

/**
 * One datagram's memory as the kernel sees it: the scatter/gather list of
 * a message block chain, and one Buffer holding the system's message
 * header, the peer's address and the iovecs (laid out by the native
 * layer). The result keeps both alive until its completion is reaped; the
 * kernel writes the sender's address and the message flags back into it.
 */
export class DgramMessage {
  /** The message header, the address and the iovecs. */
  readonly block: Buffer;

  private constructor(readonly vectors: IoVectors) {
    const c = loadNative().socket.constants;
    this.block = Buffer.alloc(c.MSG_IOV_OFFSET + Math.max(1, vectors.views.length) * c.IOVEC_SIZE);
  }

  /** The free space of the chain, up to limit bytes. */
  static forRecv(head: MessageBlock, limit: number): DgramMessage {
    return new DgramMessage(IoVectors.forRead(head, limit));
  }

  /** The readable bytes of the chain, up to limit bytes. */
  static forSend(head: MessageBlock, limit: number): DgramMessage {
    return new DgramMessage(IoVectors.forWrite(head, limit));
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
