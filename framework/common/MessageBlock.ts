import { ProactorError } from './ProactorError';

/** A pool or ring that lends message blocks and takes them back. */
export interface MessageBlockOwner {
  /** Takes mb back; throws if mb is not out on loan from this owner. */
  release(mb: MessageBlock): void;
}

/**
 * ACE_Message_Block — a buffer with a read pointer and a write pointer, the
 * unit every asynchronous read and write works on. Reads fill it at wrPtr and
 * advance wrPtr; writes drain it from rdPtr and advance rdPtr. Blocks chain
 * through `cont` for scatter/gather (readv/writev).
 *
 * @example
 * const mb = new MessageBlock(4096);
 * mb.copy('hello');          // wrPtr = 5
 * mb.length();               // 5 bytes between rdPtr and wrPtr
 * mb.rdPtr(5);               // consumed
 */
export class MessageBlock {
  /** The whole storage; the kernel reads and writes into it. */
  readonly buffer: Buffer;
  /** The next block of a chain. */
  cont: MessageBlock | null = null;
  /** @internal the pool or ring that lent this block, if any */
  owner: MessageBlockOwner | null = null;
  /** @internal the block's index with its owner (registered-buffer index, ring buffer id) */
  ownerIndex = -1;
  /** @internal the native proactor whose kernel has this block registered (readFixed/writeFixed) */
  registeredWith: object | null = null;
  private rd = 0;
  private wr = 0;
  /** The kernel may still read the storage (a zero-copy send dispatched at close()). */
  private kernelReads = false;
  /** release() was called while the kernel read: done when it lets go. */
  private releaseOnLetGo = false;

  /** A block of `size` zeroed bytes, or one over an existing buffer (nothing copied, empty). */
  constructor(sizeOrBuffer: number | Buffer) {
    if (typeof sizeOrBuffer === 'number') {
      if (!Number.isInteger(sizeOrBuffer) || sizeOrBuffer < 0) {
        throw new RangeError(`MessageBlock size must be a non-negative integer, got ${sizeOrBuffer}`);
      }
      this.buffer = Buffer.alloc(sizeOrBuffer);
    } else {
      this.buffer = sizeOrBuffer;
    }
  }

  /** A block holding a copy of data, with wrPtr after it. */
  static from(data: string | Uint8Array): MessageBlock {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const mb = new MessageBlock(bytes.length);
    mb.copy(bytes);
    return mb;
  }

  /** Capacity in bytes. */
  size(): number {
    return this.buffer.length;
  }

  /** Bytes between rdPtr and wrPtr. */
  length(): number {
    return this.wr - this.rd;
  }

  /** Bytes free after wrPtr. */
  space(): number {
    return this.buffer.length - this.wr;
  }

  /** The read offset; with n, advances it by n bytes. */
  rdPtr(n?: number): number {
    if (n !== undefined) this.rd = this.moved(this.rd, n, this.wr, 'rdPtr');
    return this.rd;
  }

  /** The write offset; with n, advances it by n bytes. */
  wrPtr(n?: number): number {
    if (n !== undefined) this.wr = this.moved(this.wr, n, this.buffer.length, 'wrPtr');
    return this.wr;
  }

  /** Sets both offsets (ACE's rd_ptr(char*)/wr_ptr(char*)). */
  setPointers(rd: number, wr: number): void {
    if (!(0 <= rd && rd <= wr && wr <= this.buffer.length)) {
      throw new RangeError(`MessageBlock pointers out of range: rd ${rd}, wr ${wr}, size ${this.buffer.length}`);
    }
    this.rd = rd;
    this.wr = wr;
  }

  /** Copies data in at wrPtr and advances it; throws if it does not fit. */
  copy(data: string | Uint8Array): void {
    this.checkWritable('copy');
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (bytes.length > this.space()) {
      throw new RangeError(`MessageBlock.copy: ${bytes.length} bytes do not fit in ${this.space()}`);
    }
    this.buffer.set(bytes, this.wr);
    this.wr += bytes.length;
  }

  /** The readable bytes, as a view (no copy). */
  data(): Buffer {
    return this.buffer.subarray(this.rd, this.wr);
  }

  /**
   * Gives a block lent by a pool or ring back to it (ACE's release()); the
   * block must not be used after. A block of one's own is only emptied.
   */
  release(): void {
    this.reset();
    if (this.kernelReads) {
      this.releaseOnLetGo = this.owner !== null;
      return;
    }
    this.owner?.release(this);
  }

  /**
   * Whether the kernel may still read the storage: a zero-copy write whose
   * handler close() has told, before the kernel's notification. Until it
   * lets go, copy() and crunch() throw and release() waits; write nothing
   * into `buffer` directly either.
   */
  isHeldByKernel(): boolean {
    return this.kernelReads;
  }

  /** @internal A zero-copy send still reads the storage. */
  holdForKernel(): void {
    this.kernelReads = true;
  }

  /** @internal The kernel no longer reads the storage; a release() asked for meanwhile happens now. */
  letGoFromKernel(): void {
    this.kernelReads = false;
    if (!this.releaseOnLetGo) return;
    this.releaseOnLetGo = false;
    this.owner?.release(this);
  }

  /** Whether this block was lent by a pool or ring (release() gives it back). */
  isPooled(): boolean {
    return this.owner !== null;
  }

  /** Empties the block: both pointers back to 0. */
  reset(): void {
    this.rd = 0;
    this.wr = 0;
  }

  /** Moves the readable bytes to the front, making room after them. */
  crunch(): void {
    if (this.rd === 0) return;
    this.checkWritable('crunch');
    this.buffer.copyWithin(0, this.rd, this.wr);
    this.wr -= this.rd;
    this.rd = 0;
  }

  /** Readable bytes over the whole chain. */
  totalLength(): number {
    let n = 0;
    for (let mb: MessageBlock | null = this; mb; mb = mb.cont) n += mb.length();
    return n;
  }

  /** Free space over the whole chain. */
  totalSpace(): number {
    let n = 0;
    for (let mb: MessageBlock | null = this; mb; mb = mb.cont) n += mb.space();
    return n;
  }

  private checkWritable(what: string): void {
    if (this.kernelReads) {
      throw new ProactorError('invalid-argument', `MessageBlock.${what}: the kernel still sends from this block (a zero-copy write); wait for it to let go`);
    }
  }

  private moved(at: number, n: number, limit: number, what: string): number {
    const to = at + n;
    if (!Number.isInteger(n) || to < 0 || to > limit) {
      throw new RangeError(`MessageBlock.${what}(${n}) moves to ${to}, outside 0..${limit}`);
    }
    return to;
  }
}
