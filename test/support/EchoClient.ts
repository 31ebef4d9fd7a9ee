import { randomFillSync } from 'node:crypto';
import { type Handle } from '../../framework/common/Handle';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { AsynchWriteStream } from '../../framework/proactor/AsynchWriteStream';
import { ServiceHandler } from '../../framework/proactor/ServiceHandler';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchWriteStreamResult } from '../../framework/proactor/results/AsynchWriteStreamResult';

/** Sizes the clients cycle through: mostly small, now and then up to 256 KiB. */
export const MESSAGE_SIZES = [1, 7, 64, 100, 1500, 4096, 9000, 65536, 13, 262144];

/** Tally of all clients of one run. */
export interface EchoTally {
  done: number;
  failed: string[];
  messages: number;
  bytes: number;
}

/**
 * Sends `messages` random messages one at a time and checks each echo byte
 * for byte; reads and writes run together so large messages cannot
 * deadlock on full socket buffers.
 */
export class EchoClient extends ServiceHandler {
  private readonly rs = new AsynchReadStream();
  private readonly ws = new AsynchWriteStream();
  private sent = 0;
  private out = new MessageBlock(0);
  private back = new MessageBlock(0);
  private writing = false;

  constructor(
    private readonly id: number,
    private readonly messages: number,
    private readonly tally: EchoTally,
  ) {
    super();
  }

  override open(handle: Handle): void {
    this.rs.open(this, handle);
    this.ws.open(this, handle);
    this.next();
  }

  override handleWriteStream(r: AsynchWriteStreamResult): void {
    if (!r.success) return this.fail(`write: ${r.errorCode}`);
    if (this.out.length() > 0) return this.ws.write(this.out, this.out.length());
    this.writing = false;
    this.checkDone();
  }

  override handleReadStream(r: AsynchReadStreamResult): void {
    if (!r.success) return this.fail(`read: ${r.errorCode}`);
    if (r.bytesTransferred === 0) return this.fail(`EOF after ${this.back.length()} of ${this.back.size()} bytes`);
    if (this.back.space() > 0) return this.rs.read(this.back, this.back.space());
    this.checkDone();
  }

  private checkDone(): void {
    if (this.writing || this.back.space() > 0) return;
    if (!this.back.buffer.equals(this.out.buffer)) return this.fail(`message ${this.sent} came back different`);
    this.tally.messages++;
    this.tally.bytes += this.out.size();
    if (this.sent === this.messages) return this.finish();
    this.next();
  }

  private next(): void {
    const size = MESSAGE_SIZES[(this.id + this.sent) % MESSAGE_SIZES.length];
    this.sent++;
    const payload = Buffer.allocUnsafe(size);
    randomFillSync(payload);
    this.out = new MessageBlock(payload);
    this.out.wrPtr(size);
    this.back = new MessageBlock(size);
    this.writing = true;
    this.ws.write(this.out, size);
    this.rs.read(this.back, size);
  }

  private fail(why: string): void {
    this.tally.failed.push(`client ${this.id}: ${why}`);
    this.finish();
  }

  private finish(): void {
    void this.proactor()!
      .closeHandle(this.handle())
      .then(() => this.tally.done++);
  }
}
