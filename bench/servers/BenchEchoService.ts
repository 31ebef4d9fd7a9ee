import { type Handle } from '../../framework/common/Handle';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { SockStream } from '../../framework/common/SockStream';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { AsynchWriteStream } from '../../framework/proactor/AsynchWriteStream';
import { ServiceHandler } from '../../framework/proactor/ServiceHandler';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchWriteStreamResult } from '../../framework/proactor/results/AsynchWriteStreamResult';

/**
 * The benchmark's echo Completion Handler: read up to 64 KiB → write it all
 * back (short writes resumed) → read again, one buffer per connection, Nagle
 * off as on every server of the benchmark.
 */
export class BenchEchoService extends ServiceHandler {
  private readonly rs = new AsynchReadStream();
  private readonly ws = new AsynchWriteStream();
  private readonly mb = new MessageBlock(64 * 1024);

  override open(handle: Handle): void {
    new SockStream(handle).setNoDelay(true);
    this.rs.open(this, handle);
    this.ws.open(this, handle);
    this.rs.read(this.mb, this.mb.space());
  }

  override handleReadStream(r: AsynchReadStreamResult): void {
    if (!r.success || r.bytesTransferred === 0) return this.close();
    this.ws.write(this.mb, this.mb.length());
  }

  override handleWriteStream(r: AsynchWriteStreamResult): void {
    if (!r.success) return this.close();
    if (this.mb.length() > 0) return this.ws.write(this.mb, this.mb.length());
    this.mb.reset();
    this.rs.read(this.mb, this.mb.space());
  }

  private close(): void {
    this.proactor()!
      .closeHandle(this.handle())
      .catch(() => undefined);
  }
}
