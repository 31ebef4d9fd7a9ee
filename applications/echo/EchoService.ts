import { type Handle } from '../../framework/common/Handle';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { SockStream } from '../../framework/common/SockStream';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { AsynchWriteStream } from '../../framework/proactor/AsynchWriteStream';
import { type BufferRing } from '../../framework/proactor/BufferRing';
import { ServiceHandler } from '../../framework/proactor/ServiceHandler';
import { type AsynchReadMultishotResult } from '../../framework/proactor/results/AsynchReadMultishotResult';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchWriteStreamResult } from '../../framework/proactor/results/AsynchWriteStreamResult';

/** Counts shared by every EchoService of one server. */
export interface EchoStats {
  opened: number;
  closed: number;
  bytes: number;
}

/**
 * Where an EchoService's bytes live: 'own', a block of its own (64 KiB
 * unless the constructor is given another size);
 * 'registered', a block lent by the proactor's registered buffer pool
 * (READ_FIXED/WRITE_FIXED); or a BufferRing shared by every connection,
 * read multishot.
 */
export type EchoBuffers = 'own' | 'registered' | BufferRing;

const DEFAULT_BLOCK_SIZE = 64 * 1024;

/**
 * An echo Completion Handler: read → write it all back (partial writes
 * resumed) → read again; on EOF or an error it closes its handle once. The
 * tests' server, the benchmark's, and the README's first example.
 *
 * With a block ('own', 'registered') it has one read or one write in flight
 * at a time. With a ring, one multishot read delivers each arrival in a
 * ring buffer, which it keeps until written back; arrivals queue behind
 * the write in flight.
 *
 * @example
 * acceptor.open(new InetAddr(7000), { makeHandler: () => new EchoService() });
 */
export class EchoService extends ServiceHandler {
  private readonly rs = new AsynchReadStream();
  private readonly ws = new AsynchWriteStream();
  private mb: MessageBlock | undefined;
  /** Ring mode: kept buffers waiting to be written, the head in flight. */
  private readonly pending: MessageBlock[] = [];
  private closing = false;

  constructor(
    private readonly stats: EchoStats = { opened: 0, closed: 0, bytes: 0 },
    /** Turn Nagle off on each connection. */
    private readonly noDelay = false,
    private readonly buffers: EchoBuffers = 'own',
    /** Bytes of the block an 'own' service reads into. */
    private readonly blockSize = DEFAULT_BLOCK_SIZE,
  ) {
    super();
  }

  override open(handle: Handle): void {
    this.stats.opened++;
    if (this.noDelay) new SockStream(handle).setNoDelay(true);
    this.rs.open(this, handle);
    this.ws.open(this, handle);
    if (typeof this.buffers === 'object') {
      this.rs.readMultishot(this.buffers);
      return;
    }
    this.mb = this.buffers === 'registered' ? this.proactor()!.bufferPool().acquire() : new MessageBlock(this.blockSize);
    this.rs.read(this.mb, this.mb.space());
  }

  override handleReadStream(r: AsynchReadStreamResult): void {
    if (!r.success || r.bytesTransferred === 0) return this.close();
    this.stats.bytes += r.bytesTransferred;
    if (this.mb === undefined) {
      // Ring: keep the buffer until it is written back.
      const mb = (r as AsynchReadMultishotResult).keepBuffer();
      this.pending.push(mb);
      if (this.pending.length === 1) this.ws.write(mb, mb.length());
      return;
    }
    this.ws.write(this.mb, this.mb.length());
  }

  override handleWriteStream(r: AsynchWriteStreamResult): void {
    if (!r.success) return this.close();
    const mb = r.messageBlock;
    if (mb.length() > 0) return this.ws.write(mb, mb.length());
    if (this.mb === undefined) {
      this.pending.shift()!.release();
      const next = this.pending[0];
      if (next !== undefined) this.ws.write(next, next.length());
      return;
    }
    mb.reset();
    this.rs.read(mb, mb.space());
  }

  /** Closes the handle once, cancelling what is in flight; lent buffers go back after. */
  private close(): void {
    if (this.closing) return;
    this.closing = true;
    this.proactor()!
      .closeHandle(this.handle())
      .then(
        () => this.stats.closed++,
        () => undefined,
      )
      .finally(() => {
        for (const mb of this.pending.splice(0)) mb.release();
        this.mb?.release();
        this.mb = undefined;
      });
  }
}
