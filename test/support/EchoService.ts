import { type Handle } from '../../framework/common/Handle';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { AsynchWriteStream } from '../../framework/proactor/AsynchWriteStream';
import { ServiceHandler } from '../../framework/proactor/ServiceHandler';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchWriteStreamResult } from '../../framework/proactor/results/AsynchWriteStreamResult';

/** Counts shared by every EchoService of one server. */
export interface EchoStats {
  opened: number;
  closed: number;
  bytes: number;
}

/** Echoes what it reads: read → write all (partial writes resumed) → read. */
export class EchoService extends ServiceHandler {
  private readonly rs = new AsynchReadStream();
  private readonly ws = new AsynchWriteStream();
  private readonly mb = new MessageBlock(64 * 1024);

  constructor(private readonly stats: EchoStats) {
    super();
  }

  override open(handle: Handle): void {
    this.stats.opened++;
    this.rs.open(this, handle);
    this.ws.open(this, handle);
    this.rs.read(this.mb, this.mb.space());
  }

  override handleReadStream(r: AsynchReadStreamResult): void {
    if (!r.success || r.bytesTransferred === 0) return this.close();
    this.stats.bytes += r.bytesTransferred;
    this.ws.write(this.mb, this.mb.length());
  }

  override handleWriteStream(r: AsynchWriteStreamResult): void {
    if (!r.success) return this.close();
    if (this.mb.length() > 0) return this.ws.write(this.mb, this.mb.length());
    this.mb.reset();
    this.rs.read(this.mb, this.mb.space());
  }

  private close(): void {
    void this.proactor()!
      .closeHandle(this.handle())
      .then(() => this.stats.closed++);
  }
}
