/**
 * AsynchReadDgram / AsynchWriteDgram over recvmsg/sendmsg on every backend:
 * the sender's address in each result, IPv4 and IPv6, one socket talking
 * to many peers, truncation, scatter/gather over chains, cancel and close,
 * bad arguments, and the Promise form.
 */
import { InetAddr } from '../../framework/common/InetAddr';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { ProactorError } from '../../framework/common/ProactorError';
import { SockDgram } from '../../framework/common/SockDgram';
import { Errno } from '../../framework/common/errno';
import { loadNative } from '../../framework/native/loadNative';
import { AsynchReadDgram } from '../../framework/proactor/AsynchReadDgram';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { AsynchWriteDgram } from '../../framework/proactor/AsynchWriteDgram';
import { Proactor } from '../../framework/proactor/Proactor';
import { type AsynchReadDgramResult } from '../../framework/proactor/results/AsynchReadDgramResult';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { backends, gap } from '../support/backends';
import { DgramRecorder, closeUdp, hasIPv6Loopback, openUdp, type UdpEnd } from '../support/dgram';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks, openFds } from '../support/leaks';

const c = loadNative().socket.constants;
const ipv6 = hasIPv6Loopback();

expectNoFdLeaks();

/** A chain of blocks holding the given strings (or, given numbers, of that much free space). */
function chain(...parts: (string | number)[]): MessageBlock {
  const blocks = parts.map((p) => (typeof p === 'number' ? new MessageBlock(p) : MessageBlock.from(p)));
  blocks.reduce((a, b) => ((a.cont = b), b));
  return blocks[0];
}

describe.each(backends)('%s', (backend) => {
  const why = gap(backend, 'recvmsg');
  if (why) {
    it.skip(`datagrams (skipped: ${why})`, () => undefined);
    return;
  }
  let proactor: Proactor;
  let ends: UdpEnd[];
  const udp = (host = '127.0.0.1') => {
    const end = openUdp(proactor, host);
    ends.push(end);
    return end;
  };

  beforeEach(() => {
    proactor = new Proactor({ backend });
    ends = [];
  });
  afterEach(async () => {
    proactor.proactorEndEventLoop();
    let open = ends.filter((e) => e.socket.handle() >= 0).length;
    for (const e of ends.filter((e) => e.socket.handle() >= 0)) void closeUdp(proactor, e).then(() => open--);
    await dispatchUntil(proactor, () => open === 0, 'the sockets to close');
    expect(proactor.inflight()).toBe(0);
    await proactor.close();
  });

  it('should echo over IPv4 with the sender in remoteAddress, act and handle in the result', async () => {
    const a = udp();
    const b = udp();
    expect(a.addr.family).toBe(4);
    b.rd.recv(new MessageBlock(64), 0, c.AF_INET, 'b-read');
    a.wd.send(MessageBlock.from('hello, b'), 0, b.addr, 'a-write');
    await dispatchUntil(proactor, () => b.handler.reads.length === 1 && a.handler.writes.length === 1, 'the first datagram');
    const w = a.handler.writes[0];
    expect([w.success, w.bytesTransferred, w.bytesToWrite, w.act, w.handle, w.remoteAddress.toString()]).toEqual([true, 8, 8, 'a-write', a.handle, b.addr.toString()]);
    expect(w.messageBlock.length()).toBe(0);
    const r = b.handler.reads[0];
    expect([r.success, r.bytesTransferred, r.bytesToRead, r.act, r.handle, r.flags, r.truncated]).toEqual([true, 8, 64, 'b-read', b.handle, 0, false]);
    expect(r.messageBlock.data().toString()).toBe('hello, b');
    expect(r.remoteAddress?.toString()).toBe(a.addr.toString());
    // Answer whoever sent it.
    a.rd.recv(new MessageBlock(64));
    b.wd.send(MessageBlock.from('hello, a'), 0, r.remoteAddress!);
    await dispatchUntil(proactor, () => a.handler.reads.length === 1, 'the echo');
    expect(a.handler.reads[0].messageBlock.data().toString()).toBe('hello, a');
    expect(a.handler.reads[0].remoteAddress?.toString()).toBe(b.addr.toString());
  });

  (ipv6 ? it : it.skip)(`should echo over IPv6 with the sender in remoteAddress${ipv6 ? '' : ' (this machine cannot bind ::1)'}`, async () => {
    void proactor.proactorRunEventLoop();
    const a = udp('::1');
    const b = udp('::1');
    expect(b.addr.family).toBe(6);
    const reading = b.rd.recvAsync(new MessageBlock(64), { protocolFamily: c.AF_INET6 });
    const w = await a.wd.sendAsync(MessageBlock.from('over six'), b.addr);
    expect([w.success, w.bytesTransferred]).toEqual([true, 8]);
    const r = await reading;
    expect([r.success, r.messageBlock.data().toString(), r.remoteAddress?.toString()]).toEqual([true, 'over six', `[::1]:${a.addr.port}`]);
    const back = a.rd.recvAsync(new MessageBlock(64));
    await b.wd.sendAsync(MessageBlock.from('and back'), r.remoteAddress!);
    expect((await back).remoteAddress?.toString()).toBe(b.addr.toString());
    proactor.proactorEndEventLoop();
  });

  it('should send to two different peers from one socket, each getting its own datagram', async () => {
    const s = udp();
    const p1 = udp();
    const p2 = udp();
    p1.rd.recv(new MessageBlock(32));
    p2.rd.recv(new MessageBlock(32));
    s.wd.send(MessageBlock.from('for p1'), 0, p1.addr, 1);
    s.wd.send(MessageBlock.from('for peer two'), 0, p2.addr, 2);
    await dispatchUntil(proactor, () => p1.handler.reads.length + p2.handler.reads.length === 2 && s.handler.writes.length === 2, 'both datagrams');
    expect(s.handler.writes.map((w) => [w.act, w.success, w.remoteAddress.port]).sort()).toEqual([[1, true, p1.addr.port], [2, true, p2.addr.port]]);
    for (const [peer, text] of [[p1, 'for p1'], [p2, 'for peer two']] as const) {
      const r = peer.handler.reads[0];
      expect([r.messageBlock.data().toString(), r.remoteAddress?.toString()]).toEqual([text, s.addr.toString()]);
    }
  });

  it('should report a truncated datagram: MSG_TRUNC in flags, the bytes the kernel says', async () => {
    const a = udp();
    const b = udp();
    const payload = Buffer.alloc(100, 0).map((_, i) => i);
    // Without MSG_TRUNC asked for, the kernel counts the bytes it copied.
    b.rd.recv(new MessageBlock(40));
    a.wd.send(MessageBlock.from(payload), 0, b.addr);
    await dispatchUntil(proactor, () => b.handler.reads.length === 1, 'the cut datagram');
    const r = b.handler.reads[0];
    expect([r.success, r.bytesTransferred, r.truncated, (r.flags & c.MSG_TRUNC) !== 0]).toEqual([true, 40, true, true]);
    expect(r.messageBlock.data()).toEqual(payload.subarray(0, 40));
    // Already waiting when the receive starts: cut the same way.
    a.wd.send(MessageBlock.from(payload), 0, b.addr);
    await dispatchUntil(proactor, () => a.handler.writes.length === 2, 'the second send');
    b.rd.recv(new MessageBlock(40));
    await dispatchUntil(proactor, () => b.handler.reads.length === 2, 'the waiting cut datagram');
    const r2 = b.handler.reads[1];
    expect([r2.success, r2.bytesTransferred, r2.truncated, r2.remoteAddress?.toString()]).toEqual([true, 40, true, a.addr.toString()]);
    expect(r2.messageBlock.data()).toEqual(payload.subarray(0, 40));
    // A datagram that fits is not flagged.
    b.rd.recv(new MessageBlock(100));
    a.wd.send(MessageBlock.from(payload), 0, b.addr);
    await dispatchUntil(proactor, () => b.handler.reads.length === 3, 'the whole datagram');
    expect([b.handler.reads[2].bytesTransferred, b.handler.reads[2].truncated, b.handler.reads[2].flags]).toEqual([100, false, 0]);
  });

  // Winsock has no MSG_TRUNC to ask for: a receive cannot learn how long a cut datagram was.
  const truncAsked = backend === 'iocp' ? 'fail the receive with EOPNOTSUPP when MSG_TRUNC is asked for (Winsock cannot say how long a cut datagram was)' : 'say how long a cut datagram really was when MSG_TRUNC is asked for';
  it(`should ${truncAsked}`, async () => {
    const a = udp();
    const b = udp();
    const payload = Buffer.alloc(100, 7);
    b.rd.recv(new MessageBlock(40), c.MSG_TRUNC);
    if (backend === 'iocp') {
      await dispatchUntil(proactor, () => b.handler.reads.length === 1, 'the refused receive');
      const r = b.handler.reads[0];
      expect([r.success, r.errorCode, r.bytesTransferred, r.messageBlock.length()]).toEqual([false, 'EOPNOTSUPP', 0, 0]);
      return;
    }
    a.wd.send(MessageBlock.from(payload), 0, b.addr);
    await dispatchUntil(proactor, () => b.handler.reads.length === 1, 'the cut datagram');
    const r = b.handler.reads[0];
    expect([r.bytesTransferred, r.truncated, r.messageBlock.length()]).toEqual([100, true, 40]);
  });

  it('should gather a send from a chain and scatter a receive into one', async () => {
    const a = udp();
    const b = udp();
    const head = chain(4, 10, 100);
    b.rd.recv(head);
    const out = chain('scatter ', 'gather ', '', 'across the chain');
    a.wd.send(out, 0, b.addr);
    await dispatchUntil(proactor, () => b.handler.reads.length === 1 && a.handler.writes.length === 1, 'the chained datagram');
    expect(a.handler.writes[0].bytesTransferred).toBe(31);
    expect(out.totalLength()).toBe(0);
    const r = b.handler.reads[0];
    expect([r.bytesToRead, r.bytesTransferred]).toEqual([114, 31]);
    const lengths: number[] = [];
    let text = '';
    for (let mb: MessageBlock | null = head; mb; mb = mb.cont) {
      lengths.push(mb.length());
      text += mb.data().toString();
    }
    expect(lengths).toEqual([4, 10, 17]);
    expect(text).toBe('scatter gather across the chain');
  });

  it('should take every one of several queued receives exactly once', async () => {
    const a = udp();
    const b = udp();
    for (let i = 0; i < 5; i++) b.rd.recv(new MessageBlock(16), 0, 0, i);
    for (let i = 0; i < 5; i++) a.wd.send(MessageBlock.from(`d${i}`), 0, b.addr);
    await dispatchUntil(proactor, () => b.handler.reads.length === 5, 'five datagrams');
    expect(b.handler.reads.map((r) => r.messageBlock.data().toString()).sort()).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
    expect(b.handler.reads.map((r) => r.act).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('should complete a cancelled receive with ECANCELED, once', async () => {
    const b = udp();
    b.rd.recv(new MessageBlock(16), 0, 0, 'x');
    await dispatchUntil(proactor, () => proactor.inflight() === 1, 'the receive to be in flight');
    expect(b.rd.cancel()).toBe(0);
    await dispatchUntil(proactor, () => b.handler.reads.length === 1, 'the cancelled receive');
    const r = b.handler.reads[0];
    expect([r.success, r.errorCode, r.bytesTransferred, r.remoteAddress, r.act]).toEqual([false, 'ECANCELED', 0, null, 'x']);
    expect(b.rd.cancel()).toBe(1);
    proactor.handleEvents(20);
    expect(b.handler.reads).toHaveLength(1);
  });

  it('should complete a receive in flight with ECANCELED when its socket is closed, leaving no fd', async () => {
    const before = openFds();
    const b = openUdp(proactor);
    b.rd.recv(new MessageBlock(16));
    b.rd.recv(new MessageBlock(16));
    proactor.handleEvents(0);
    let closed = false;
    void closeUdp(proactor, b).then(() => (closed = true));
    await dispatchUntil(proactor, () => closed && b.handler.reads.length === 2, 'the close');
    expect(b.handler.reads.map((r) => r.errorCode)).toEqual(['ECANCELED', 'ECANCELED']);
    expect(openFds()).toBe(before);
  });

  (backend === 'uring' ? it : it.skip)(`should cancel receives one by one at close where the kernel cannot cancel by fd${backend === 'uring' ? '' : ` (an io_uring mode: the ${backend} backend cancels in user space)`}`, async () => {
    const legacy = new Proactor({ backend, legacyCancel: true });
    try {
      const b = openUdp(legacy);
      for (let i = 0; i < 3; i++) b.rd.recv(new MessageBlock(16));
      legacy.handleEvents(0);
      let closed = false;
      void closeUdp(legacy, b).then(() => (closed = true));
      await dispatchUntil(legacy, () => closed && b.handler.reads.length === 3, 'the close');
      expect(b.handler.reads.map((r) => r.errorCode)).toEqual(['ECANCELED', 'ECANCELED', 'ECANCELED']);
      expect(legacy.inflight()).toBe(0);
    } finally {
      await legacy.close();
    }
  });

  it('should reuse a handler-form result for the next datagram, with every field fresh', async () => {
    const a = udp();
    const b = udp();
    const p = udp();
    b.rd.recv(new MessageBlock(8), 0, 0, 'first');
    a.wd.send(MessageBlock.from('one'), 0, b.addr, 'w1');
    await dispatchUntil(proactor, () => b.handler.reads.length === 1 && a.handler.writes.length === 1, 'the first datagram');
    const [r1, w1] = [b.handler.reads[0], a.handler.writes[0]];
    expect([r1.remoteAddress?.port, r1.act, r1.truncated]).toEqual([a.addr.port, 'first', false]);
    // Into a longer chain (more iovecs than before), from another sender, cut.
    b.rd.recv(chain(2, 2, 2), 0, c.AF_INET, 'second');
    p.wd.send(MessageBlock.from('seven!!'), 0, b.addr);
    a.wd.send(MessageBlock.from('to p'), 0, p.addr, 'w2');
    p.rd.recv(new MessageBlock(8));
    await dispatchUntil(proactor, () => b.handler.reads.length === 2 && a.handler.writes.length === 2 && p.handler.reads.length === 1, 'the second datagrams');
    const [r2, w2] = [b.handler.reads[1], a.handler.writes[1]];
    expect(r2).toBe(r1);
    expect(w2).toBe(w1);
    expect([r2.remoteAddress?.port, r2.act, r2.bytesToRead, r2.bytesTransferred, r2.truncated, r2.protocolFamily]).toEqual([p.addr.port, 'second', 6, 6, true, c.AF_INET]);
    expect(r2.messageBlock.totalLength()).toBe(6);
    expect([w2.act, w2.remoteAddress.port, w2.bytesToWrite]).toEqual(['w2', p.addr.port, 4]);
    expect(p.handler.reads[0].messageBlock.data().toString()).toBe('to p');
  });

  it('should report a failed send in its result, not as a throw', async () => {
    const a = udp();
    // An IPv4 socket cannot send to an IPv6 address.
    a.wd.send(MessageBlock.from('nowhere'), 0, new InetAddr(9, '::1'));
    await dispatchUntil(proactor, () => a.handler.writes.length === 1, 'the failed send');
    const w = a.handler.writes[0];
    expect(w.success).toBe(false);
    // Under Wine, Linux's EAFNOSUPPORT reaches Winsock as STATUS_NOT_SUPPORTED, that is WSAEOPNOTSUPP.
    const refusals = process.platform === 'win32' ? [Errno.EAFNOSUPPORT, Errno.EINVAL, Errno.EOPNOTSUPP] : [Errno.EAFNOSUPPORT, Errno.EINVAL];
    expect(refusals).toContain(w.error);
    expect(w.messageBlock.length()).toBe(7);
  });

  it('should refuse bad arguments with a ProactorError, losing nothing', () => {
    const a = udp();
    const invalid = (f: () => unknown, text: RegExp) => {
      let thrown: unknown;
      try {
        f();
      } catch (e) {
        thrown = e;
      }
      expect(ProactorError.is(thrown, 'invalid-argument')).toBe(true);
      expect((thrown as Error).message).toMatch(text);
    };
    invalid(() => new AsynchReadDgram().recv(new MessageBlock(4)), /not open/);
    invalid(() => new AsynchWriteDgram().send(MessageBlock.from('x'), 0, a.addr), /not open/);
    invalid(() => a.rd.recv(undefined as unknown as MessageBlock), /MessageBlock is required/);
    invalid(() => a.rd.recv(MessageBlock.from('full')), /no free space/);
    invalid(() => a.rd.recv(new MessageBlock(4), -1), /flags/);
    invalid(() => a.rd.recv(new MessageBlock(4), 1.5), /flags/);
    invalid(() => a.rd.recv(new MessageBlock(4), 0, 12345), /protocol family/);
    invalid(() => a.rd.recv(chain(...new Array<number>(1025).fill(1))), /1025 blocks/);
    invalid(() => a.wd.send(new MessageBlock(4), 0, a.addr), /no bytes/);
    invalid(() => a.wd.send(MessageBlock.from('x'), 0, '127.0.0.1:9' as unknown as InetAddr), /InetAddr/);
    invalid(() => a.wd.send(null as unknown as MessageBlock, 0, a.addr), /MessageBlock is required/);
    expect(() => a.rd.recvAsync(new MessageBlock(4), { flags: -3 })).toThrow(ProactorError);
    expect(() => a.wd.sendAsync(new MessageBlock(4), a.addr)).toThrow(/no bytes/);
    const open = new SockDgram();
    open.open(new InetAddr(0, '127.0.0.1'));
    try {
      invalid(() => open.open(new InetAddr(0, '127.0.0.1')), /already open/);
      // A port in use is the kernel's refusal, named.
      const taken = new SockDgram();
      expect(() => taken.open(open.getLocalAddr())).toThrow(/bind\(127\.0\.0\.1:\d+\): EADDRINUSE/);
    } finally {
      open.close();
    }
    expect(proactor.inflight()).toBe(0);
  });

  it('should refuse at initiation, as unsupported, where the backend says it has no recvmsg or sendmsg', () => {
    const a = udp();
    const impl = proactor.implementation();
    const supports = impl.supports.bind(impl);
    impl.supports = (verb: string) => verb !== 'recvmsg' && verb !== 'sendmsg' && supports(verb);
    try {
      for (const f of [
        () => a.rd.recv(new MessageBlock(4)),
        () => a.rd.recvAsync(new MessageBlock(4)),
        () => a.wd.send(MessageBlock.from('x'), 0, a.addr),
        () => a.wd.sendAsync(MessageBlock.from('x'), a.addr),
      ]) {
        expect(f).toThrow(ProactorError);
        expect(f).toThrow(new RegExp(`the ${backend} backend cannot (receive|send) a datagram`));
        try {
          f();
        } catch (e) {
          expect(ProactorError.is(e, 'unsupported')).toBe(true);
        }
      }
    } finally {
      impl.supports = supports;
    }
    expect(proactor.inflight()).toBe(0);
  });

  it('should resolve the Promise form with the result, leave the handler alone, and reject on abort', async () => {
    void proactor.proactorRunEventLoop();
    const a = udp();
    const b = udp();
    const reading = b.rd.recvAsync(new MessageBlock(16), { act: 'p' });
    const w = await a.wd.sendAsync(chain('prom', 'ised'), b.addr, { act: 'q' });
    expect([w.success, w.bytesTransferred, w.act]).toEqual([true, 8, 'q']);
    const r = await reading;
    expect([r.success, r.messageBlock.data().toString(), r.act, r.remoteAddress?.toString()]).toEqual([true, 'promised', 'p', a.addr.toString()]);
    expect([a.handler.reads.length, a.handler.writes.length, b.handler.reads.length]).toEqual([0, 0, 0]);

    const controller = new AbortController();
    const pending = b.rd.recvAsync(new MessageBlock(16), { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const e = (await pending.catch((x: unknown) => x)) as DOMException & { cause: AsynchReadDgramResult };
    expect(e.name).toBe('AbortError');
    expect(e.cause.errorCode).toBe('ECANCELED');
    expect(proactor.inflight()).toBe(0);
    await expect(b.rd.recvAsync(new MessageBlock(4), { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(a.wd.sendAsync(MessageBlock.from('x'), b.addr, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(proactor.inflight()).toBe(0);
    proactor.proactorEndEventLoop();
  });

  it('should hand a handler its datagrams in the handler form while a receive is re-armed from inside it', async () => {
    const a = udp();
    const got: string[] = [];
    const handler = new (class extends DgramRecorder {
      override handleReadDgram(r: AsynchReadDgramResult) {
        got.push(r.messageBlock.data().toString());
        if (got.length < 20) rd.recv(new MessageBlock(16));
      }
    })(proactor);
    const b = openUdp(proactor, '127.0.0.1', handler);
    ends.push(b);
    const rd = b.rd;
    rd.recv(new MessageBlock(16));
    for (let i = 0; i < 20; i++) a.wd.send(MessageBlock.from(`n${i}`), 0, b.addr);
    await dispatchUntil(proactor, () => got.length === 20, () => `20 datagrams (${got.length})`);
    expect(got.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`).sort());
  });

  it('should receive datagrams without holding the thread on a socket the stream read verb used first', async () => {
    const a = udp();
    const b = udp();
    // A plain read on the socket first (on aio: a blocking socket for glibc's workers).
    const rs = new AsynchReadStream();
    rs.open(b.handler, b.handle, undefined, proactor);
    let r1: AsynchReadStreamResult | undefined;
    void rs.readAsync(new MessageBlock(64), 64).then((r) => (r1 = r));
    a.wd.send(MessageBlock.from('by read'), 0, b.addr);
    await dispatchUntil(proactor, () => r1 !== undefined, 'the plain read');
    if (!r1) throw new Error('no read');
    expect([r1.success, r1.messageBlock.data().toString()]).toEqual([true, 'by read']);
    // A receive with nothing to receive: its start must not wait for data
    // (a blocking recvmsg would hold the thread for the socket's timeout or
    // for good), the first on the socket nor the later ones. The fastest of
    // three later starts is timed, as load only slows.
    const starts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      b.rd.recv(new MessageBlock(64));
      await Promise.resolve();
      if (i > 0) starts.push(performance.now() - t0);
      a.wd.send(MessageBlock.from(`dgram ${i}`), 0, b.addr);
      await dispatchUntil(proactor, () => b.handler.reads.length === i + 1, `datagram ${i}`);
      expect([b.handler.reads[i].success, b.handler.reads[i].messageBlock.data().toString()]).toEqual([true, `dgram ${i}`]);
      expect(b.handler.reads[i].remoteAddress?.toString()).toBe(a.addr.toString());
    }
    expect(Math.min(...starts)).toBeLessThan(25);
    // And the plain read still works after the receives.
    let r2: AsynchReadStreamResult | undefined;
    void rs.readAsync(new MessageBlock(64), 64).then((r) => (r2 = r));
    a.wd.send(MessageBlock.from('by read again'), 0, b.addr);
    await dispatchUntil(proactor, () => r2 !== undefined, 'the second plain read');
    if (!r2) throw new Error('no read');
    expect([r2.success, r2.messageBlock.data().toString()]).toEqual([true, 'by read again']);
  });
});
