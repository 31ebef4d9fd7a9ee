import { debug } from '../common/debug';
import { loadNative } from '../native/loadNative';
import { Errno, errnoName } from '../common/errno';
import { BlockLoans } from '../common/BlockLoans';
import { MessageBlock, type MessageBlockOwner } from '../common/MessageBlock';
import { ProactorError } from '../common/ProactorError';

/** The size of a registered buffer pool. */
export interface BufferPoolOptions {
  /** Blocks in the pool; default 128 (at most 16384, the kernel's limit). */
  count?: number;
  /** Bytes per block; default 64 KiB. */
  size?: number;
}

/** What a pool needs from its proactor: the kernel's registration call. */
export interface BufferRegistrar {
  /** Registers the buffers (index = position); 0 or -errno. */
  registerBuffers(buffers: Uint8Array[]): number;
  /** The identity read/write results compare with MessageBlock.registeredWith. */
  readonly registrationToken: object | null;
}

/** Most buffers one ring may register (IORING_MAX_REG_BUFFERS). */
const MAX_BLOCKS = 16384;

/**
 * A pool of message blocks the kernel has registered once, up front: reads
 * and writes on them (READ_FIXED/WRITE_FIXED) skip mapping the user pages
 * per operation. acquire() lends a block; release() (or mb.release()) gives
 * it back. When the pool is empty, or the kernel could not register it,
 * acquire() hands out an ordinary block of the same size: slower, never an
 * error. A locked-memory limit too small for the pool halves it until it
 * fits, with a NODE_DEBUG=proactor line.
 *
 * @example
 * const pool = proactor.bufferPool();
 * const mb = pool.acquire();
 * rs.read(mb, mb.space());        // → readFixed
 * …
 * mb.release();
 */
/** The alignment O_DIRECT asks of memory on the file systems in use. */
const PAGE = 4096;

export class RegisteredBufferPool implements MessageBlockOwner {
  /** Bytes per block. */
  readonly blockSize: number;
  /** Blocks the kernel registered (0: it registered none). */
  readonly registered: number;
  /** acquire() calls that found the pool empty and made an ordinary block. */
  misses = 0;
  private readonly loans: BlockLoans | undefined;
  /** Indexes of the registered blocks not lent out. */
  private readonly free: number[] = [];

  constructor(registrar: BufferRegistrar | null, options: BufferPoolOptions = {}) {
    const size = options.size ?? 64 * 1024;
    let count = options.count ?? 128;
    if (!Number.isInteger(size) || size < 1 || size > 0x40000000) {
      throw new ProactorError('invalid-argument', `buffer pool: size must be 1..1 GiB, got ${size}`);
    }
    if (!Number.isInteger(count) || count < 0 || count > MAX_BLOCKS) {
      throw new ProactorError('invalid-argument', `buffer pool: count must be 0..${MAX_BLOCKS}, got ${count}`);
    }
    this.blockSize = size;
    let loans: BlockLoans | undefined;
    while (count > 0 && registrar) {
      const candidate = new BlockLoans(this, pageAligned(count * size), count, size);
      const rc = registrar.registerBuffers(candidate.blocks.map((mb) => mb.buffer));
      if (rc === 0) {
        loans = candidate;
        break;
      }
      if (rc !== -Errno.ENOMEM && rc !== -Errno.EPERM) {
        debug(`buffer pool: the kernel registers no buffers (${errnoName(-rc)}); blocks are ordinary`);
        count = 0;
        break;
      }
      const next = count >> 1;
      debug(`buffer pool: ${count} × ${size} B is over the locked-memory limit (${errnoName(-rc)}); trying ${next}`);
      count = next;
    }
    this.loans = loans;
    this.registered = loans?.blocks.length ?? 0;
    for (let i = this.registered - 1; i >= 0; i--) {
      loans!.blocks[i].registeredWith = registrar!.registrationToken;
      this.free.push(i);
    }
    if (this.registered > 0) debug(`buffer pool: ${this.registered} × ${size} B registered`);
  }

  /** Registered blocks not lent out. */
  available(): number {
    return this.free.length;
  }

  /** An empty block of blockSize bytes: a registered one if any is free. */
  acquire(): MessageBlock {
    const i = this.free.pop();
    if (i === undefined) {
      this.misses++;
      // Ordinary, but page-aligned like the registered ones: O_DIRECT-ready.
      return new MessageBlock(pageAligned(this.blockSize));
    }
    return this.loans!.lend(i)!;
  }

  /** Takes back a block acquire() lent. */
  release(mb: MessageBlock): void {
    // A zero-copy send still reads it: it comes back when the kernel lets go.
    if (mb.isHeldByKernel()) return mb.release();
    if (this.loans === undefined) throw new ProactorError('invalid-argument', 'RegisteredBufferPool.release: the pool lent no blocks');
    this.free.push(this.loans.takeBack(mb, 'RegisteredBufferPool'));
  }
}

/**
 * A zeroed region of bytes starting on a 4 KiB boundary, so that blocks of
 * a size that is a multiple of 4 KiB can be read and written O_DIRECT.
 */
function pageAligned(bytes: number): Buffer {
  const raw = Buffer.alloc(bytes + PAGE);
  const skip = loadNative().alignOffset(raw, PAGE);
  return raw.subarray(skip, skip + bytes);
}
