/**
 * A 100 MiB file echoed over UDP on loopback and checked byte for byte, on
 * every backend. UDP drops what a full receive buffer cannot take, so the
 * sender keeps a window: the echo of a datagram is its ack, and no more
 * datagrams are out than both sockets' receive buffers hold (sized from
 * what the kernel granted). Nothing is resent: a loss fails the test.
 */
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InetAddr } from '../../framework/common/InetAddr';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { SockDgram } from '../../framework/common/SockDgram';
import { loadNative } from '../../framework/native/loadNative';
import { AsynchReadDgram } from '../../framework/proactor/AsynchReadDgram';
import { AsynchWriteDgram } from '../../framework/proactor/AsynchWriteDgram';
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { type AsynchReadDgramResult } from '../../framework/proactor/results/AsynchReadDgramResult';
import { type AsynchWriteDgramResult } from '../../framework/proactor/results/AsynchWriteDgramResult';
import { backends, gap } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks } from '../support/leaks';

const c = loadNative().socket.constants;
const FILE_SIZE = 100 * 1024 * 1024;
const HEADER = 4;
const PAYLOAD = 60000;
const MAX_WINDOW = 16;

expectNoFdLeaks();

/** A bound UDP socket asking for a large receive buffer; returns it and what the kernel granted. */
function openSocket(): { socket: SockDgram; rcvbuf: number } {
  const socket = new SockDgram();
  socket.open(new InetAddr(0, '127.0.0.1'));
  socket.setOption(c.SOL_SOCKET, c.SO_RCVBUF, 4 * 1024 * 1024);
  return { socket, rcvbuf: socket.getOption(c.SOL_SOCKET, c.SO_RCVBUF) };
}

/** Echoes every datagram to its sender; `window` receives stay posted, each block reused once its echo is sent. */
class EchoServer extends Handler {
  private readonly rd = new AsynchReadDgram();
  private readonly wd = new AsynchWriteDgram();
  errors: string[] = [];

  constructor(proactor: Proactor, handle: number, window: number) {
    super(proactor);
    this.rd.open(this, handle);
    this.wd.open(this, handle);
    for (let i = 0; i < window; i++) this.rd.recv(new MessageBlock(65536));
  }

  override handleReadDgram(r: AsynchReadDgramResult) {
    if (!r.success) {
      if (r.errorCode !== 'ECANCELED') this.errors.push(`server read: ${r.errorCode}`);
      return;
    }
    this.wd.send(r.messageBlock, 0, r.remoteAddress!);
  }

  override handleWriteDgram(w: AsynchWriteDgramResult) {
    if (!w.success) {
      if (w.errorCode !== 'ECANCELED') this.errors.push(`server write: ${w.errorCode}`);
      return;
    }
    w.messageBlock.reset();
    this.rd.recv(w.messageBlock);
  }
}

/** Sends the file in numbered datagrams (a header gathered with a slice of the file), at most `window` unechoed; puts each echo in place. */
class FileSender extends Handler {
  private readonly rd = new AsynchReadDgram();
  private readonly wd = new AsynchWriteDgram();
  private next = 0;
  private outstanding = 0;
  echoed = 0;
  readonly count: number;
  readonly output: Buffer;
  private readonly seen: Uint8Array;
  errors: string[] = [];

  constructor(
    proactor: Proactor,
    handle: number,
    private readonly file: Buffer,
    private readonly server: InetAddr,
    private readonly window: number,
  ) {
    super(proactor);
    this.count = Math.ceil(file.length / PAYLOAD);
    this.output = Buffer.alloc(file.length);
    this.seen = new Uint8Array(this.count);
    this.rd.open(this, handle);
    this.wd.open(this, handle);
    for (let i = 0; i < window; i++) this.rd.recv(new MessageBlock(65536));
    this.fill();
  }

  done(): boolean {
    return this.echoed === this.count;
  }

  private fill() {
    while (this.outstanding < this.window && this.next < this.count) {
      const seq = this.next++;
      const header = new MessageBlock(HEADER);
      header.buffer.writeUInt32BE(seq, 0);
      header.wrPtr(HEADER);
      const slice = this.file.subarray(seq * PAYLOAD, Math.min((seq + 1) * PAYLOAD, this.file.length));
      header.cont = new MessageBlock(slice);
      header.cont.wrPtr(slice.length);
      this.outstanding++;
      this.wd.send(header, 0, this.server);
    }
  }

  override handleWriteDgram(w: AsynchWriteDgramResult) {
    if (!w.success) this.errors.push(`client write: ${w.errorCode}`);
    else if (w.bytesTransferred !== w.bytesToWrite) this.errors.push(`client: sent ${w.bytesTransferred} of ${w.bytesToWrite}`);
  }

  override handleReadDgram(r: AsynchReadDgramResult) {
    if (!r.success) {
      if (r.errorCode !== 'ECANCELED') this.errors.push(`client read: ${r.errorCode}`);
      return;
    }
    const mb = r.messageBlock;
    const seq = mb.buffer.readUInt32BE(0);
    const expected = Math.min(PAYLOAD, this.file.length - seq * PAYLOAD);
    if (seq >= this.count || this.seen[seq] || r.truncated || r.bytesTransferred !== HEADER + expected) {
      this.errors.push(`echo ${seq}: ${r.bytesTransferred} bytes, ${this.seen[seq] ? 'seen before' : 'new'}${r.truncated ? ', truncated' : ''}`);
    } else {
      mb.buffer.copy(this.output, seq * PAYLOAD, HEADER, HEADER + expected);
      this.seen[seq] = 1;
      this.echoed++;
    }
    this.outstanding--;
    mb.reset();
    this.rd.recv(mb);
    this.fill();
  }

  state(): string {
    return `${this.echoed} of ${this.count} echoed, ${this.next} sent, window ${this.window}; ${this.errors.join('; ')}`;
  }
}

describe.each(backends)('%s', (backend) => {
  const why = gap(backend, 'recvmsg');
  if (why) {
    it.skip(`a 100 MiB file echoed over UDP (skipped: ${why})`, () => undefined);
    return;
  }
  let dir: string;
  let path: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ace-dgram-'));
    path = join(dir, 'file');
    writeFileSync(path, randomFillSync(Buffer.allocUnsafe(FILE_SIZE)));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should come back byte for byte, windowed so that loopback drops nothing', async () => {
    const proactor = new Proactor({ backend });
    const file = readFileSync(path);
    const server = openSocket();
    const client = openSocket();
    // A datagram of PAYLOAD bytes takes up to 64 KiB of buffer plus overhead; keep half the room spare.
    const window = Math.max(1, Math.min(MAX_WINDOW, Math.floor(Math.min(server.rcvbuf, client.rcvbuf) / (2 * 70000))));
    try {
      const echo = new EchoServer(proactor, server.socket.handle(), window);
      const sender = new FileSender(proactor, client.socket.handle(), file, server.socket.getLocalAddr(), window);
      await dispatchUntil(proactor, () => sender.done() || sender.errors.length + echo.errors.length > 0, () => sender.state(), 60000);
      expect([...sender.errors, ...echo.errors]).toEqual([]);
      expect(sender.output.equals(file)).toBe(true);
    } finally {
      let open = 2;
      for (const s of [server.socket, client.socket]) void proactor.closeHandle(s.release()).then(() => open--);
      await dispatchUntil(proactor, () => open === 0 && proactor.inflight() === 0, 'the sockets to close');
      await proactor.close();
    }
  }, 90000);
});
