import { INVALID_HANDLE } from '../../framework/common/Handle';
import { InetAddr } from '../../framework/common/InetAddr';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { ProactorError } from '../../framework/common/ProactorError';
import { SockAcceptor } from '../../framework/common/SockAcceptor';
import { SockStream } from '../../framework/common/SockStream';
import { loadNative } from '../../framework/native/loadNative';
import { AsynchConnect } from '../../framework/proactor/AsynchConnect';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { type AsynchResult } from '../../framework/proactor/AsynchResult';
import { type AsynchConnectResult } from '../../framework/proactor/results/AsynchConnectResult';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchWriteStreamResult } from '../../framework/proactor/results/AsynchWriteStreamResult';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks } from '../support/leaks';
import { socketPair, streams } from '../support/streams';
import { tcpPair } from '../support/tcpPair';

const sock = loadNative().socket;

/** Records every completion it is given, in order. */
class Recorder extends Handler {
  readonly results: AsynchResult[] = [];
  override handleReadStream(r: AsynchReadStreamResult) {
    this.results.push(r);
  }
  override handleWriteStream(r: AsynchWriteStreamResult) {
    this.results.push(r);
  }
  override handleConnect(r: AsynchConnectResult) {
    this.results.push(r);
  }
}

// Outermost, so its check runs after each test's own clean-up.
expectNoFdLeaks();

describe.each(backends)('operations on the %s backend', (backend) => {
  let proactor: Proactor;
  const closeAfter: number[] = [];

  beforeEach(() => {
    proactor = new Proactor({ backend });
  });

  afterEach(async () => {
    for (const fd of closeAfter.splice(0)) sock.close(fd);
    await proactor.close();
    expect(proactor.inflight()).toBe(0);
  });

  describe('when a read completes', () => {
    it('should advance wrPtr by the bytes and hand back the act unchanged', async () => {
      const [a, b] = socketPair();
      closeAfter.push(a, b);
      const rec = new Recorder(proactor);
      const { rs } = streams(rec, a, proactor);
      const act = { tag: 'mine' };
      const mb = new MessageBlock(16);
      rs.read(mb, 16, act);
      sock.sendNow(b, Buffer.from('hello'), 0, 5);
      await dispatchUntil(proactor, () => rec.results.length === 1, 'the read');
      const r = rec.results[0] as AsynchReadStreamResult;
      expect(r.success).toBe(true);
      expect(r.bytesTransferred).toBe(5);
      expect(r.act).toBe(act);
      expect(r.messageBlock).toBe(mb);
      expect(mb.data().toString()).toBe('hello');
      expect(mb.wrPtr()).toBe(5);
      expect(r.handle).toBe(a);
    });

    it('should report EOF as success with 0 bytes when the peer closes', async () => {
      const [a, b] = socketPair();
      closeAfter.push(a);
      const rec = new Recorder(proactor);
      streams(rec, a, proactor).rs.read(new MessageBlock(8), 8);
      sock.close(b);
      await dispatchUntil(proactor, () => rec.results.length === 1, 'EOF');
      expect(rec.results[0].success).toBe(true);
      expect(rec.results[0].bytesTransferred).toBe(0);
      expect(rec.results[0].error).toBe(0);
    });

    it('should report ECONNRESET when the peer resets the connection', async () => {
      const { server, client } = await tcpPair(proactor);
      closeAfter.push(server);
      const rec = new Recorder(proactor);
      streams(rec, server, proactor).rs.read(new MessageBlock(8), 8);
      proactor.handleEvents(0);
      // SO_LINGER 0 then close sends RST instead of FIN.
      sock.setOption(client, sock.constants.SOL_SOCKET, sock.constants.SO_LINGER, 0);
      sock.close(client);
      await dispatchUntil(proactor, () => rec.results.length === 1, 'the reset');
      expect(rec.results[0].success).toBe(false);
      expect(rec.results[0].errorCode).toBe('ECONNRESET');
    });
  });

  describe('when writes and vectored operations run', () => {
    it('should move rdPtr by the bytes written and deliver them', async () => {
      const [a, b] = socketPair();
      closeAfter.push(a, b);
      const rec = new Recorder(proactor);
      const mb = MessageBlock.from('abcdef');
      streams(rec, a, proactor).ws.write(mb, 6);
      await dispatchUntil(proactor, () => rec.results.length === 1, 'the write');
      expect(rec.results[0].bytesTransferred).toBe(6);
      expect(mb.length()).toBe(0);
      const got = Buffer.alloc(16);
      expect(sock.recvNow(b, got, 0, 16)).toBe(6);
      expect(got.subarray(0, 6).toString()).toBe('abcdef');
    });

    it('should gather a chain with writev and scatter it with readv', async () => {
      const [a, b] = socketPair();
      closeAfter.push(a, b);
      const rec = new Recorder(proactor);
      const out = MessageBlock.from('one-');
      out.cont = MessageBlock.from('two-');
      out.cont.cont = MessageBlock.from('three');
      const { ws } = streams(rec, a, proactor);
      ws.writev(out, out.totalLength());
      const into = new MessageBlock(3);
      into.cont = new MessageBlock(4);
      into.cont.cont = new MessageBlock(20);
      const { rs } = streams(rec, b, proactor);
      rs.readv(into, into.totalSpace());
      await dispatchUntil(proactor, () => rec.results.length === 2, 'writev and readv');
      const read = rec.results.find((r) => r.constructor.name === 'AsynchReadStreamResult')!;
      expect(read.bytesTransferred).toBe(13);
      expect([into.data(), into.cont.data(), into.cont.cont.data()].map(String)).toEqual(['one', '-two', '-three']);
      expect(out.totalLength()).toBe(0);
    });
  });

  describe('when a connect fails', () => {
    it('should complete with ECONNREFUSED and leave the handle to the caller', async () => {
      const probe = new SockAcceptor();
      probe.open(new InetAddr(0, '127.0.0.1'));
      const port = probe.getLocalAddr().port;
      probe.close();
      const rec = new Recorder(proactor);
      const connect = new AsynchConnect();
      connect.open(rec, INVALID_HANDLE, undefined, proactor);
      connect.connect(INVALID_HANDLE, new InetAddr(port, '127.0.0.1'));
      await dispatchUntil(proactor, () => rec.results.length === 1, 'the refused connect');
      const r = rec.results[0] as AsynchConnectResult;
      expect(r.success).toBe(false);
      expect(r.errorCode).toBe('ECONNREFUSED');
      closeAfter.push(r.connectHandle);
    });
  });

  describe('when operations are cancelled or their handle closed', () => {
    it('should complete a cancelled read with ECANCELED', async () => {
      const [a, b] = socketPair();
      closeAfter.push(a, b);
      const rec = new Recorder(proactor);
      const { rs } = streams(rec, a, proactor);
      rs.read(new MessageBlock(8), 8, 'act-1');
      proactor.handleEvents(0);
      expect(rs.cancel()).toBe(0);
      await dispatchUntil(proactor, () => rec.results.length === 1, 'the cancelled read');
      expect(rec.results[0].success).toBe(false);
      expect(rec.results[0].errorCode).toBe('ECANCELED');
      expect(rec.results[0].act).toBe('act-1');
      // ACE's codes: nothing left in flight is 1; an operation never opened is -1.
      expect(rs.cancel()).toBe(1);
      expect(new AsynchReadStream().cancel()).toBe(-1);
    });

    it('should complete every operation in flight when their handle is closed', async () => {
      const { server, client } = await tcpPair(proactor);
      closeAfter.push(client);
      const rec = new Recorder(proactor);
      const { rs, ws } = streams(rec, server, proactor);
      rs.read(new MessageBlock(64), 64, 'r1');
      rs.read(new MessageBlock(64), 64, 'r2');
      // A write larger than the socket buffers stays in flight until cancelled.
      const big = new MessageBlock(32 * 1024 * 1024);
      big.wrPtr(big.space());
      ws.write(big, big.length(), 'w1');
      proactor.handleEvents(0);
      let closed = false;
      void proactor.closeHandle(server).then(() => (closed = true));
      await dispatchUntil(proactor, () => rec.results.length === 3, 'three completions');
      await Promise.resolve();
      expect(closed).toBe(true);
      expect(rec.results.map((r) => r.act).sort()).toEqual(['r1', 'r2', 'w1']);
      for (const r of rec.results) {
        if (r.act === 'w1') expect(r.error === 0 || r.errorCode === 'ECANCELED').toBe(true);
        else expect(r.errorCode).toBe('ECANCELED');
      }
      expect(proactor.inflight()).toBe(0);
    });

    it('should complete everything in flight with ECANCELED when the proactor closes', async () => {
      const [a, b] = socketPair();
      closeAfter.push(a, b);
      const rec = new Recorder(proactor);
      const { rs } = streams(rec, a, proactor);
      for (let i = 0; i < 5; i++) rs.read(new MessageBlock(4), 4, i);
      proactor.handleEvents(0);
      await proactor.close();
      expect(rec.results.map((r) => r.errorCode)).toEqual(Array(5).fill('ECANCELED'));
      expect(() => rs.read(new MessageBlock(4), 4)).toThrow(ProactorError);
    });
  });

  describe('when a handler throws', () => {
    it('should report it through the error hook and go on dispatching', async () => {
      const [a, b] = socketPair();
      closeAfter.push(a, b);
      const seen: unknown[] = [];
      proactor.errorHook = (e) => seen.push(e);
      let calls = 0;
      const thrower = new (class extends Handler {
        override handleReadStream() {
          calls++;
          throw new Error(`boom ${calls}`);
        }
      })(proactor);
      const { rs } = streams(thrower, a, proactor);
      rs.read(new MessageBlock(1), 1);
      rs.read(new MessageBlock(1), 1);
      sock.sendNow(b, Buffer.from('xy'), 0, 2);
      await dispatchUntil(proactor, () => calls === 2, 'both reads');
      expect(seen.map((e) => (e as Error).message)).toEqual(['boom 1', 'boom 2']);
    });
  });

  describe('when an initiation is misused', () => {
    it('should throw invalid-argument naming the limit', async () => {
      const rs = new AsynchReadStream();
      expect(() => rs.read(new MessageBlock(4), 4)).toThrow(/not open/);
      rs.open(new Handler(proactor), 0, undefined, proactor);
      expect(() => rs.read(new MessageBlock(4), 5)).toThrow(/1\.\.4/);
      expect(() => rs.read(new MessageBlock(4), 0)).toThrow(ProactorError);
      expect(proactor.inflight()).toBe(0);
    });
  });

  describe('when stream addresses are asked for', () => {
    it('should give both ends of a TCP connection', async () => {
      const { server, client } = await tcpPair(proactor);
      closeAfter.push(server, client);
      const s = new SockStream(server);
      const c = new SockStream(client);
      expect(s.getRemoteAddr().toString()).toBe(c.getLocalAddr().toString());
      expect(s.getLocalAddr().host).toBe('127.0.0.1');
    });
  });
});
