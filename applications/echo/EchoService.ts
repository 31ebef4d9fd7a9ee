import { type Handle } from '../../framework/common/Handle';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { SockStream } from '../../framework/common/SockStream';
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

/**
 * An echo Completion Handler: read up to 64 KiB → write it all back
 * (partial writes resumed) → read again, one buffer per connection; on EOF
 * or an error it closes its handle once. The tests' server, the
 * benchmark's, and the README's first example.
 *
 * @example
 * acceptor.open(new InetAddr(7000), { makeHandler: () => new EchoService() });
 */
export class EchoService extends ServiceHandler {
  private readonly rs = new AsynchReadStream();
  private readonly ws = new AsynchWriteStream();
  private readonly mb = new MessageBlock(64 * 1024);

  constructor(
    private readonly stats: EchoStats = { opened: 0, closed: 0, bytes: 0 },
    /** Turn Nagle off on each connection. */
    private readonly noDelay = false,
  ) {
    super();
  }

  override open(handle: Handle): void {
    this.stats.opened++;
    if (this.noDelay) new SockStream(handle).setNoDelay(true);
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
    this.proactor()!
      .closeHandle(this.handle())
      .then(
        () => this.stats.closed++,
        () => undefined,
      );
  }
}
