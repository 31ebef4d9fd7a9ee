/**
 * ACE's tests/Proactor_UDP_Test.cpp, ported: Proactor_Test's exchange over
 * datagrams. There is no acceptor in UDP: a Master reads "start" datagrams
 * on a well-known port, and for each makes a Server with its own socket,
 * which answers the client with an "ack" naming its port. The client then
 * sends its messages (each gathered from a chain of three blocks, as ACE's
 * Win32 path does) and the server echoes each back to whoever sent it (the
 * result's remoteAddress, which ACE's POSIX backends could not give, so
 * there every socket had to be connected). Half duplex: one message in
 * flight, waiting for its echo; full duplex: a window of messages while
 * echoes arrive. The client ends with CLOSE, the server answers CLOSE-ACK
 * and closes; the client closes at the ack. Every byte is checked, every
 * session ends on both sides, no fd is left.
 */
import { InetAddr } from '../../framework/common/InetAddr';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { SockDgram } from '../../framework/common/SockDgram';
import { AsynchReadDgram } from '../../framework/proactor/AsynchReadDgram';
import { AsynchWriteDgram } from '../../framework/proactor/AsynchWriteDgram';
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { type AsynchReadDgramResult } from '../../framework/proactor/results/AsynchReadDgramResult';
import { type AsynchWriteDgramResult } from '../../framework/proactor/results/AsynchWriteDgramResult';
import { backends, gap } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks } from '../support/leaks';

expectNoFdLeaks();

const CLIENTS = 10;
const MESSAGES = 50;
/** Full duplex: messages a client has sent whose echo has not come back. */
const WINDOW = 4;
const CLOSE = 'CLOSE';
const CLOSE_ACK = 'CLOSE-ACK';

/** ACE's complete_message, headed by who sent it and which one it is so every echo can be checked. */
const message = (k: number, i: number) =>
  `client ${k} message ${i}\r\nGET / HTTP/1.1\r\nAccept: */*\r\nAccept-Language: C++\r\nAccept-Encoding: gzip, deflate\r\n` +
  `User-Agent: Proactor_Test/1.0 (non-compatible)\r\nConnection: Keep-Alive\r\n${'x'.repeat((k * 7 + i * 13) % 200)}\r\n`;

/** ACE's Session_Data: direction 0 starts a session, 1 acknowledges it; port is the sender's. */
const sessionData = (direction: 0 | 1, port: number) => `${direction === 0 ? 'start' : 'ack'} ${port}`;

/** Counts of the sessions and the bytes each side moved (ACE's TestData). */
class TestData {
  serversUp = 0;
  serversDown = 0;
  clientsDown: Client[] = [];
  serverBytes = { sent: 0, received: 0 };
  errors: string[] = [];
}

/** Copies a chain's bytes into one string. */
function text(head: MessageBlock): string {
  let s = '';
  for (let mb: MessageBlock | null = head; mb; mb = mb.cont) s += mb.data().toString();
  return s;
}

/** Three blocks with room for one message, as ACE reads into mb1 → mb2 → mb3. */
function readChain(): MessageBlock {
  const head = new MessageBlock(128);
  head.cont = new MessageBlock(128);
  head.cont.cont = new MessageBlock(512);
  return head;
}

/** The message split over three blocks, as ACE sends mb1 → mb2 → mb3. */
function writeChain(s: string): MessageBlock {
  const third = Math.floor(s.length / 3);
  const head = MessageBlock.from(s.slice(0, third));
  head.cont = MessageBlock.from(s.slice(third, 2 * third));
  head.cont.cont = MessageBlock.from(s.slice(2 * third));
  return head;
}

/** ACE's Server: one session's socket; echoes each datagram to its sender until CLOSE, which it acknowledges before closing. */
class Server extends Handler {
  private readonly socket = new SockDgram();
  private readonly rd = new AsynchReadDgram();
  private readonly wd = new AsynchWriteDgram();
  private closing = false;
  private ioCount = 0;

  constructor(
    proactor: Proactor,
    private readonly tester: TestData,
    private readonly duplex: boolean,
    private readonly client: InetAddr,
  ) {
    super(proactor);
    this.socket.open(new InetAddr(0, '127.0.0.1'));
    this.handle(this.socket.handle());
    this.rd.open(this);
    this.wd.open(this);
    tester.serversUp++;
    this.send(MessageBlock.from(sessionData(1, this.socket.getLocalAddr().port)), client, 'ack');
    this.recv();
  }

  private recv() {
    this.ioCount++;
    this.rd.recv(readChain());
  }

  private send(mb: MessageBlock, to: InetAddr, act: 'ack' | 'echo' | 'close-ack') {
    this.ioCount++;
    this.wd.send(mb, 0, to, act);
  }

  override handleReadDgram(r: AsynchReadDgramResult) {
    this.ioCount--;
    if (r.success && r.bytesTransferred > 0) {
      this.tester.serverBytes.received += r.bytesTransferred;
      if (r.remoteAddress?.toString() !== this.client.toString()) this.tester.errors.push(`server got a datagram from ${r.remoteAddress}, not ${this.client}`);
      if (r.truncated) this.tester.errors.push('server: a truncated datagram');
      const got = text(r.messageBlock);
      if (got === CLOSE) {
        this.closing = true;
        this.send(MessageBlock.from(CLOSE_ACK), r.remoteAddress!, 'close-ack');
      } else {
        this.send(r.messageBlock, r.remoteAddress!, 'echo');
        if (this.duplex) this.recv();
      }
    } else if (r.errorCode !== 'ECANCELED') {
      this.tester.errors.push(`server read: ${r.errorCode}`);
    }
    this.maybeDone();
  }

  override handleWriteDgram(w: AsynchWriteDgramResult) {
    this.ioCount--;
    if (!w.success) this.tester.errors.push(`server write: ${w.errorCode}`);
    else if (w.bytesTransferred !== w.bytesToWrite) this.tester.errors.push('server: a short datagram');
    else if (w.act === 'echo') this.tester.serverBytes.sent += w.bytesTransferred;
    if (w.success && !this.duplex && !this.closing && this.ioCount === 0) this.recv();
    this.maybeDone();
  }

  /** ACE deletes the server when its last operation ends after CLOSE. */
  private maybeDone() {
    if (!this.closing || this.ioCount > 0) return;
    this.closing = false;
    void this.proactor()!.closeHandle(this.socket.release()).then(() => this.tester.serversDown++);
  }
}

/** ACE's Master: reads start datagrams on the well-known port and makes one Server per session. */
class Master extends Handler {
  readonly socket = new SockDgram();
  private readonly rd = new AsynchReadDgram();

  constructor(
    proactor: Proactor,
    private readonly tester: TestData,
    private readonly duplex: boolean,
  ) {
    super(proactor);
    this.socket.open(new InetAddr(0, '127.0.0.1'));
    this.rd.open(this, this.socket.handle());
    this.rd.recv(new MessageBlock(64));
  }

  override handleReadDgram(r: AsynchReadDgramResult) {
    if (!r.success) return;
    const [word, port] = r.messageBlock.data().toString().split(' ');
    if (word !== 'start' || Number(port) !== r.remoteAddress?.port) this.tester.errors.push(`master: a bad start '${r.messageBlock.data()}' from ${r.remoteAddress}`);
    else new Server(this.proactor()!, this.tester, this.duplex, r.remoteAddress);
    r.messageBlock.reset();
    this.rd.recv(r.messageBlock);
  }
}

/** ACE's Client: starts a session with the master, then sends its messages to its server and checks every echoed byte; ends with CLOSE. */
class Client extends Handler {
  readonly socket = new SockDgram();
  private readonly rd = new AsynchReadDgram();
  private readonly wd = new AsynchWriteDgram();
  private server: InetAddr | null = null;
  private sent = 0;
  private outstanding = 0;
  readonly echoed = new Set<number>();
  readonly bad: string[] = [];
  bytes = { sent: 0, received: 0 };
  closed = false;

  constructor(
    proactor: Proactor,
    private readonly tester: TestData,
    readonly k: number,
    private readonly duplex: boolean,
    master: InetAddr,
  ) {
    super(proactor);
    this.socket.open(new InetAddr(0, '127.0.0.1'));
    this.rd.open(this, this.socket.handle());
    this.wd.open(this, this.socket.handle());
    this.rd.recv(readChain());
    this.wd.send(MessageBlock.from(sessionData(0, this.socket.getLocalAddr().port)), 0, master);
  }

  private sendNext() {
    while (this.sent < MESSAGES && this.outstanding < (this.duplex ? WINDOW : 1)) {
      this.outstanding++;
      this.wd.send(writeChain(message(this.k, this.sent++)), 0, this.server!, 'message');
    }
    if (this.sent === MESSAGES && this.outstanding === 0) this.wd.send(MessageBlock.from(CLOSE), 0, this.server!);
  }

  override handleWriteDgram(w: AsynchWriteDgramResult) {
    if (!w.success) this.bad.push(`write: ${w.errorCode}`);
    else if (w.act === 'message') this.bytes.sent += w.bytesTransferred;
  }

  override handleReadDgram(r: AsynchReadDgramResult) {
    if (!r.success) {
      if (r.errorCode !== 'ECANCELED') this.bad.push(`read: ${r.errorCode}`);
      return;
    }
    const got = text(r.messageBlock);
    if (this.server === null) {
      // The ack comes from the session's own server socket, whose port it names.
      const [word, port] = got.split(' ');
      if (word !== 'ack' || Number(port) !== r.remoteAddress?.port) this.bad.push(`a bad ack '${got}' from ${r.remoteAddress}`);
      this.server = r.remoteAddress;
      this.rd.recv(readChain());
      return this.sendNext();
    }
    if (r.remoteAddress?.toString() !== this.server.toString()) this.bad.push(`a datagram from ${r.remoteAddress}`);
    if (got === CLOSE_ACK) {
      this.tester.clientsDown.push(this);
      void this.proactor()!.closeHandle(this.socket.release()).then(() => (this.closed = true));
      return;
    }
    this.bytes.received += r.bytesTransferred;
    const i = Number(/^client \d+ message (\d+)\r\n/.exec(got)?.[1] ?? -1);
    if (got !== message(this.k, i) || this.echoed.has(i)) this.bad.push(`echo ${i} does not match what was sent`);
    this.echoed.add(i);
    this.outstanding--;
    this.rd.recv(readChain());
    this.sendNext();
  }
}

describe.each(backends)('%s', (backend) => {
  const why = gap(backend, 'recvmsg');
  if (why) {
    it.skip(`Proactor_UDP_Test (skipped: ${why})`, () => undefined);
    return;
  }
  it.each(['half duplex', 'full duplex'])('should run %s sessions for 10 clients × 50 messages, every byte checked, every session closed on both sides', async (mode) => {
    const proactor = new Proactor({ backend });
    const duplex = mode === 'full duplex';
    const tester = new TestData();
    const master = new Master(proactor, tester, duplex);
    const clients: Client[] = [];
    try {
      for (let k = 0; k < CLIENTS; k++) clients.push(new Client(proactor, tester, k, duplex, master.socket.getLocalAddr()));
      await dispatchUntil(
        proactor,
        () => tester.serversDown === CLIENTS && clients.every((c) => c.closed),
        () => `${tester.serversUp} servers up, ${tester.serversDown} down, ${tester.clientsDown.length} clients done; ${tester.errors.join('; ')}`,
        20000,
      );
      expect(tester.errors).toEqual([]);
      const total = clients.reduce((n, c) => n + Array.from({ length: MESSAGES }, (_, i) => message(c.k, i).length).reduce((a, b) => a + b, 0), 0);
      for (const c of clients) {
        expect(c.bad).toEqual([]);
        expect(c.echoed.size).toBe(MESSAGES);
        expect(c.bytes.received).toBe(c.bytes.sent);
      }
      expect(clients.reduce((n, c) => n + c.bytes.sent, 0)).toBe(total);
      // What the servers received (the messages and CLOSEs) and echoed.
      expect(tester.serverBytes.received).toBe(total + CLIENTS * CLOSE.length);
      expect(tester.serverBytes.sent).toBe(total);
    } finally {
      for (const c of clients) if (c.socket.handle() >= 0) c.socket.close();
      let closed = false;
      void proactor.closeHandle(master.socket.release()).then(() => (closed = true));
      await dispatchUntil(proactor, () => closed && proactor.inflight() === 0, 'the master to close');
      await proactor.close();
    }
  });
});
