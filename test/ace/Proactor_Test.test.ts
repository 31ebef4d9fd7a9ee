/**
 * ACE's tests/Proactor_Test.cpp, ported: an AsynchAcceptor<Server> and an
 * AsynchConnector<Client>; 10 clients send 50 messages each, half duplex
 * (one message in flight, waiting for its echo) or full duplex (all sent at
 * once while echoes arrive); each client then shuts down its write side,
 * the server echoes what is left, sees EOF and closes. Every byte is
 * checked, every handler closes, no fd is left.
 */
import { InetAddr } from '../../framework/common/InetAddr';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { SockStream } from '../../framework/common/SockStream';
import { AsynchAcceptor } from '../../framework/proactor/AsynchAcceptor';
import { AsynchConnector } from '../../framework/proactor/AsynchConnector';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { AsynchWriteStream } from '../../framework/proactor/AsynchWriteStream';
import { Proactor } from '../../framework/proactor/Proactor';
import { ServiceHandler } from '../../framework/proactor/ServiceHandler';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchWriteStreamResult } from '../../framework/proactor/results/AsynchWriteStreamResult';
import { type Handle } from '../../framework/common/Handle';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks } from '../support/leaks';

expectNoFdLeaks();

const CLIENTS = 10;
const MESSAGES = 50;

/** Client k's message i: its own bytes, of a length that varies. */
const message = (k: number, i: number) => `client ${k} message ${i} `.padEnd(20 + ((k * 7 + i * 13) % 200), String.fromCharCode(97 + ((k + i) % 26)));

/** ACE's Server: echoes every byte until EOF, then closes. */
class Server extends ServiceHandler {
  static closed = 0;
  private readonly rs = new AsynchReadStream();
  private readonly ws = new AsynchWriteStream();
  private readonly mb = new MessageBlock(4096);

  override open(handle: Handle) {
    this.rs.open(this, handle);
    this.ws.open(this, handle);
    this.rs.read(this.mb, this.mb.space());
  }

  override handleReadStream(r: AsynchReadStreamResult) {
    if (!r.success || r.bytesTransferred === 0) return this.close();
    this.ws.write(this.mb, this.mb.length());
  }

  override handleWriteStream(r: AsynchWriteStreamResult) {
    if (!r.success) return this.close();
    if (this.mb.length() > 0) return this.ws.write(this.mb, this.mb.length());
    this.mb.reset();
    this.rs.read(this.mb, this.mb.space());
  }

  private close() {
    void this.proactor()!.closeHandle(this.handle()).then(() => Server.closed++);
  }
}

/** ACE's Client: sends its messages (one at a time, or all at once), checks every echoed byte, shuts down writing, closes at EOF. */
class Client extends ServiceHandler {
  static done: { k: number; echoed: string; expected: string }[] = [];
  private static next = 0;
  private readonly k = Client.next++;
  private readonly rs = new AsynchReadStream();
  private readonly ws = new AsynchWriteStream();
  private readonly in = new MessageBlock(8192);
  private sent = 0;
  private echoed = '';
  private readonly expected = Array.from({ length: MESSAGES }, (_, i) => message(this.k, i)).join('');

  constructor(private readonly duplex: boolean) {
    super();
  }

  static reset() {
    Client.done = [];
    Client.next = 0;
  }

  override open(handle: Handle) {
    this.rs.open(this, handle);
    this.ws.open(this, handle);
    this.rs.read(this.in, this.in.space());
    if (this.duplex) {
      const all = MessageBlock.from(this.expected);
      this.sent = MESSAGES;
      this.ws.write(all, all.length());
    } else {
      this.sendNext();
    }
  }

  private sendNext() {
    if (this.sent === MESSAGES) return new SockStream(this.handle()).closeWriter();
    const mb = MessageBlock.from(message(this.k, this.sent++));
    this.ws.write(mb, mb.length());
  }

  override handleWriteStream(r: AsynchWriteStreamResult) {
    if (!r.success) return;
    if (r.messageBlock.length() > 0) return this.ws.write(r.messageBlock, r.messageBlock.length());
    if (this.duplex) new SockStream(this.handle()).closeWriter();
  }

  override handleReadStream(r: AsynchReadStreamResult) {
    if (!r.success || r.bytesTransferred === 0) {
      Client.done.push({ k: this.k, echoed: this.echoed, expected: this.expected });
      void this.proactor()!.closeHandle(this.handle());
      return;
    }
    const before = this.echoed.length;
    this.echoed += this.in.data().toString();
    this.in.reset();
    this.rs.read(this.in, this.in.space());
    // Half duplex: the next message once this one's echo is all back.
    if (!this.duplex && this.sent < MESSAGES + 1) {
      const upTo = Array.from({ length: this.sent }, (_, i) => message(this.k, i)).join('').length;
      if (before < upTo && this.echoed.length >= upTo) this.sendNext();
    }
  }
}

describe.each(backends)('Proactor_Test on %s', (backend) => {
  it.each(['half duplex', 'full duplex'])('should echo %s for 10 clients × 50 messages, every byte checked, every handler closed', async (mode) => {
    const proactor = new Proactor({ backend });
    Server.closed = 0;
    Client.reset();
    const acceptor = new AsynchAcceptor<Server>();
    acceptor.open(new InetAddr(0, '127.0.0.1'), { proactor, makeHandler: () => new Server() });
    const connector = new AsynchConnector<Client>();
    connector.open({ proactor, makeHandler: () => new Client(mode === 'full duplex') });
    try {
      for (let k = 0; k < CLIENTS; k++) connector.connect(acceptor.getLocalAddr());
      await dispatchUntil(proactor, () => Client.done.length === CLIENTS && Server.closed === CLIENTS, () => `${Client.done.length} clients done, ${Server.closed} servers closed`, 20000);
      for (const c of Client.done) expect(c.echoed).toBe(c.expected);
    } finally {
      let closed = false;
      void acceptor.close().then(() => (closed = true));
      await dispatchUntil(proactor, () => closed && proactor.inflight() === 0, 'the acceptor to close');
      await proactor.close();
    }
  });
});
