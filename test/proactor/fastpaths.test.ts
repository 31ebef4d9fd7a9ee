import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InetAddr } from '../../framework/common/InetAddr';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { ProactorError } from '../../framework/common/ProactorError';
import { SockAcceptor } from '../../framework/common/SockAcceptor';
import { SockStream } from '../../framework/common/SockStream';
import { loadNative } from '../../framework/native/loadNative';
import { AsynchAccept } from '../../framework/proactor/AsynchAccept';
import { AsynchAcceptor } from '../../framework/proactor/AsynchAcceptor';
import { AsynchConnector } from '../../framework/proactor/AsynchConnector';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { AsynchWriteStream } from '../../framework/proactor/AsynchWriteStream';
import { type BufferRing } from '../../framework/proactor/BufferRing';
import { Handler } from '../../framework/proactor/Handler';
import { type NativeProactorImpl } from '../../framework/proactor/NativeProactorImpl';
import { Proactor } from '../../framework/proactor/Proactor';
import { ServiceHandler } from '../../framework/proactor/ServiceHandler';
import { type AsynchAcceptResult } from '../../framework/proactor/results/AsynchAcceptResult';
import { type AsynchReadMultishotResult } from '../../framework/proactor/results/AsynchReadMultishotResult';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchWriteStreamResult } from '../../framework/proactor/results/AsynchWriteStreamResult';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks } from '../support/leaks';
import { socketPair, streams } from '../support/streams';
import { tcpPair } from '../support/tcpPair';

const sock = loadNative().socket;

/** What one completion said, copied out (multishot results are reused). */
interface Seen {
  success: boolean;
  error: string;
  bytes: number;
  more: boolean;
  data: string;
}

/** Records reads and writes; a multishot read keeps its buffers when told to. */
class Recorder extends Handler {
  readonly reads: Seen[] = [];
  readonly writes: AsynchWriteStreamResult[] = [];
  readonly kept: MessageBlock[] = [];
  keep = false;
  override handleReadStream(r: AsynchReadStreamResult) {
    this.reads.push({ success: r.success, error: r.errorCode, bytes: r.bytesTransferred, more: r.more, data: r.messageBlock.data().toString() });
    if (this.keep && r.bytesTransferred > 0) this.kept.push((r as AsynchReadMultishotResult).keepBuffer());
  }
  override handleWriteStream(r: AsynchWriteStreamResult) {
    this.writes.push(r);
  }
  received(): string {
    return this.reads.map((s) => s.data).join('');
  }
}

/** Reads everything b has for us without blocking, until n bytes came. */
async function drainPeer(proactor: Proactor, fd: number, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const buf = Buffer.alloc(256 * 1024);
  await dispatchUntil(
    proactor,
    () => {
      for (let got = sock.recvNow(fd, buf, 0, buf.length); got > 0; got = sock.recvNow(fd, buf, 0, buf.length)) {
        chunks.push(Buffer.from(buf.subarray(0, got)));
        total += got;
      }
      return total >= n;
    },
    () => `${n} bytes at the peer (got ${total})`,
  );
  return Buffer.concat(chunks);
}

// Outermost, so its check runs after each test's own clean-up.
expectNoFdLeaks();

describe.each(backends)('io_uring fast paths on the %s backend', (backend) => {
  const probe = new Proactor({ backend });
  const has = (verb: string) => probe.implementation().supports(verb);
  const hasFixed = has('readFixed');
  const hasMultishotAccept = has('acceptMultishot');
  const hasMultishotRecv = has('recvMultishot');
  const hasZc = has('sendZc');
  void probe.close();
  const slots = new Proactor({ backend, fixedFiles: 2 });
  const hasFixedFiles = /fixed-files 2/.test(slots.implementation().describe());
  void slots.close();
  // The memlock test needs util-linux's setpriv and prlimit to impose a limit on root.
  const canLimitMemlock = spawnSync('setpriv', ['--version']).status === 0 && spawnSync('prlimit', ['--version']).status === 0;
  const limitNote = !hasFixed ? ` (${backend} has no fixed buffers)` : canLimitMemlock ? '' : ' (setpriv or prlimit is missing: no way to impose the limit)';

  let proactor: Proactor;
  const closeAfter: number[] = [];

  afterEach(async () => {
    for (const fd of closeAfter.splice(0)) sock.close(fd);
    await proactor.close();
    expect(proactor.inflight()).toBe(0);
  });

  describe('the registered buffer pool', () => {
    (hasFixed ? it : it.skip)(`should read and write registered blocks, lend ordinary ones when empty, and take each back once${hasFixed ? '' : ` (${backend} has no fixed buffers)`}`, async () => {
      proactor = new Proactor({ backend, bufferPool: { count: 2, size: 4096 } });
      const pool = proactor.bufferPool();
      expect(pool.registered).toBe(2);
      expect(proactor.implementation().describe()).toMatch(/registered buffers 8 KiB/);
      const [a, b] = socketPair();
      closeAfter.push(a, b);
      const rec = new Recorder(proactor);
      const { rs, ws } = streams(rec, a, proactor);

      const out = pool.acquire();
      const into = pool.acquire();
      expect(out.registeredWith).not.toBeNull();
      expect(into.registeredWith).toBe(out.registeredWith);
      const spare = pool.acquire();
      expect(spare.isPooled()).toBe(false);
      expect(spare.size()).toBe(4096);
      expect(pool.misses).toBe(1);

      out.copy('registered bytes');
      ws.write(out, out.length());
      await dispatchUntil(proactor, () => rec.writes.length === 1, 'the fixed write');
      expect(rec.writes[0].bytesTransferred).toBe(16);
      const got = Buffer.alloc(64);
      expect(sock.recvNow(b, got, 0, 64)).toBe(16);
      expect(got.subarray(0, 16).toString()).toBe('registered bytes');

      rs.read(into, 100);
      sock.sendNow(b, Buffer.from('back again'), 0, 10);
      await dispatchUntil(proactor, () => rec.reads.length === 1, 'the fixed read');
      expect(into.data().toString()).toBe('back again');

      out.release();
      into.release();
      spare.release();
      expect(pool.available()).toBe(2);
      expect(() => out.release()).toThrow(ProactorError);
    });

    (hasFixed ? it : it.skip)(`should read into another proactor's registered block the ordinary way${hasFixed ? '' : ` (${backend} has no fixed buffers)`}`, async () => {
      proactor = new Proactor({ backend, bufferPool: { count: 1, size: 1024 } });
      const other = new Proactor({ backend, bufferPool: { count: 1, size: 1024 } });
      try {
        const foreign = other.bufferPool().acquire();
        const [a, b] = socketPair();
        closeAfter.push(a, b);
        const rec = new Recorder(proactor);
        streams(rec, a, proactor).rs.read(foreign, 1024);
        sock.sendNow(b, Buffer.from('elsewhere'), 0, 9);
        await dispatchUntil(proactor, () => rec.reads.length === 1, 'the read');
        expect(foreign.data().toString()).toBe('elsewhere');
        foreign.release();
      } finally {
        await other.close();
      }
    });

    (canLimitMemlock && hasFixed ? it : it.skip)(`should halve the pool to fit a small locked-memory limit and say so${limitNote}`, () => {
      proactor = new Proactor({ backend });
      // Without CAP_IPC_LOCK (dropped from the bounding set) a 1 MiB limit
      // holds even for root: 64 × 64 KiB (4 MiB) cannot all be registered.
      const script = `
        const { Proactor } = require(${JSON.stringify(join(__dirname, '../../dist/framework/proactor/Proactor'))});
        const p = new Proactor({ backend: ${JSON.stringify(backend)}, bufferPool: { count: 64, size: 65536 } });
        const pool = p.bufferPool();
        const mb = pool.acquire();
        process.stdout.write(JSON.stringify({ registered: pool.registered, pooled: mb.isPooled() }));
        p.close();`;
      const child = spawnSync(
        'setpriv',
        ['--bounding-set', '-ipc_lock', '--inh-caps', '-ipc_lock', 'prlimit', '--memlock=1048576:1048576', process.execPath, '-e', script],
        { env: { ...process.env, NODE_DEBUG: 'proactor' }, encoding: 'utf8' },
      );
      expect(child.status).toBe(0);
      const { registered, pooled } = JSON.parse(child.stdout) as { registered: number; pooled: boolean };
      expect(registered).toBeGreaterThan(0);
      expect(registered).toBeLessThan(64);
      expect(pooled).toBe(true);
      expect(child.stderr).toMatch(/buffer pool: 64 × 65536 B is over the locked-memory limit \(ENOMEM\); trying 32/);
      expect(child.stderr).toMatch(new RegExp(`buffer pool: ${registered} × 65536 B registered`));
    });
  });

  describe('multishot accept', () => {
    (hasMultishotAccept ? it : it.skip)(`should accept many connections with one operation in flight, and end with ECANCELED${hasMultishotAccept ? '' : ` (${backend} has no multishot accept)`}`, async () => {
      proactor = new Proactor({ backend });
      const accepted: number[] = [];
      class Sink extends ServiceHandler {
        override open(handle: number) {
          accepted.push(handle);
          void this.proactor()!.closeHandle(handle);
        }
      }
      const acceptor = new AsynchAcceptor<Sink>();
      acceptor.open(new InetAddr(0, '127.0.0.1'), { proactor, makeHandler: () => new Sink(), passAddresses: true });
      expect(acceptor.isMultishot()).toBe(true);
      expect(proactor.inflight()).toBe(1);
      const connected: number[] = [];
      const connector = new AsynchConnector<ServiceHandler>();
      connector.open({
        proactor,
        makeHandler: () =>
          new (class extends ServiceHandler {
            override open(handle: number) {
              connected.push(handle);
            }
          })(),
      });
      for (let i = 0; i < 20; i++) connector.connect(acceptor.getLocalAddr());
      await dispatchUntil(proactor, () => accepted.length === 20 && connected.length === 20, () => `20 connections (${accepted.length} accepted)`);
      for (const fd of connected) closeAfter.push(fd);
      // Still one accept in flight, whatever the number served.
      await dispatchUntil(proactor, () => proactor.inflight() === 1, 'the service closes');

      let last: { error: string; more: boolean } | undefined;
      const watcher = new (class extends Handler {
        override handleAccept(r: AsynchAcceptResult) {
          last = { error: r.errorCode, more: r.more };
        }
      })(proactor);
      const listener = new SockAcceptor();
      listener.open(new InetAddr(0, '127.0.0.1'));
      closeAfter.push(listener.handle());
      const accept = new AsynchAccept();
      accept.open(watcher, listener.handle(), undefined, proactor);
      accept.acceptMultishot();
      expect(accept.cancel()).toBe(0);
      await dispatchUntil(proactor, () => last !== undefined, 'the cancelled accept');
      expect(last).toEqual({ error: 'ECANCELED', more: false });
      let closed = false;
      void acceptor.close().then(() => (closed = true));
      await dispatchUntil(proactor, () => closed, 'the acceptor to close');
    });
  });

  describe('multishot reads from a buffer ring', () => {
    const skipNote = hasMultishotRecv ? '' : ` (${backend} has no multishot reads)`;
    const ringIt = hasMultishotRecv ? it : it.skip;

    /** A ring of one buffer of size bytes, kept by another connection's read: the next read waits (ENOBUFS). */
    async function usedUpRing(size: number): Promise<{ ring: BufferRing; holder: Recorder }> {
      const ring = proactor.createBufferRing({ count: 1, size });
      const [c, d] = socketPair();
      closeAfter.push(c, d);
      const holder = new Recorder(proactor);
      holder.keep = true;
      streams(holder, c, proactor).rs.readFromRing(ring);
      sock.sendNow(d, Buffer.from('held'), 0, 4);
      await dispatchUntil(proactor, () => holder.kept.length === 1, 'the one buffer, kept');
      return { ring, holder };
    }


    ringIt(`should deliver each arrival in a ring buffer with more set, then EOF, giving every buffer back${skipNote}`, async () => {
      proactor = new Proactor({ backend });
      const ring = proactor.createBufferRing({ count: 4, size: 64 });
      const [a, b] = socketPair();
      closeAfter.push(a);
      const rec = new Recorder(proactor);
      streams(rec, a, proactor).rs.readMultishot(ring);
      for (const word of ['one', 'two', 'three']) {
        sock.sendNow(b, Buffer.from(word), 0, word.length);
        await dispatchUntil(proactor, () => rec.received().endsWith(word), word);
      }
      expect(rec.reads.every((s) => s.success && s.more)).toBe(true);
      expect(rec.received()).toBe('onetwothree');
      expect(ring.held()).toBe(0);
      sock.close(b);
      await dispatchUntil(proactor, () => rec.reads.at(-1)!.bytes === 0, 'EOF');
      expect(rec.reads.at(-1)).toEqual({ success: true, error: '', bytes: 0, more: false, data: '' });
      expect(proactor.inflight()).toBe(0);
    });

    ringIt(`should wait while every buffer is kept, and go on in order when they come back${skipNote}`, async () => {
      proactor = new Proactor({ backend });
      const ring = proactor.createBufferRing({ count: 2, size: 16 });
      const [a, b] = socketPair();
      closeAfter.push(a, b);
      const rec = new Recorder(proactor);
      rec.keep = true;
      streams(rec, a, proactor).rs.readMultishot(ring);
      const text = Array.from({ length: 10 }, (_, i) => `line ${i};`).join('');
      sock.sendNow(b, Buffer.from(text), 0, text.length);
      await dispatchUntil(proactor, () => rec.kept.length === 2, 'the ring to be used up');
      for (let i = 0; i < 5; i++) proactor.handleEvents(10);
      // Both buffers kept: nothing more can arrive, and nothing failed.
      expect(rec.kept.length).toBe(2);
      expect(ring.held()).toBe(2);
      expect(rec.reads.every((s) => s.success && s.more)).toBe(true);
      rec.keep = false;
      for (const mb of rec.kept.splice(0)) mb.release();
      await dispatchUntil(proactor, () => rec.received().length === text.length, () => `all ${text.length} bytes (${rec.received().length})`);
      expect(rec.received()).toBe(text);
      expect(ring.held()).toBe(0);
    });

    ringIt(`should complete a read waiting for buffers with ECANCELED on cancel() and on closeHandle${skipNote}`, async () => {
      proactor = new Proactor({ backend });
      const ring = proactor.createBufferRing({ count: 1, size: 8 });
      for (const how of ['cancel', 'closeHandle'] as const) {
        const [a, b] = socketPair();
        closeAfter.push(b);
        const rec = new Recorder(proactor);
        rec.keep = true;
        const { rs } = streams(rec, a, proactor);
        rs.readMultishot(ring);
        sock.sendNow(b, Buffer.from('0123456789abcdef'), 0, 16);
        await dispatchUntil(proactor, () => rec.kept.length === 1, 'the one buffer');
        for (let i = 0; i < 5; i++) proactor.handleEvents(10);
        // Waiting for a buffer, out of the kernel: still in flight.
        expect(proactor.inflight()).toBe(1);
        if (how === 'cancel') {
          expect(rs.cancel()).toBe(0);
          await dispatchUntil(proactor, () => rec.reads.at(-1)!.error === 'ECANCELED', 'the cancelled read');
          closeAfter.push(a);
        } else {
          let closed = false;
          void proactor.closeHandle(a).then(() => (closed = true));
          await dispatchUntil(proactor, () => closed && rec.reads.at(-1)!.error === 'ECANCELED', 'the close');
        }
        expect(rec.reads.at(-1)!.more).toBe(false);
        rec.kept.splice(0).forEach((mb) => mb.release());
        expect(ring.held()).toBe(0);
      }
    });

    ringIt(`readFromRing should complete once per call, in a ring buffer, holding none while it waits${skipNote}`, async () => {
      proactor = new Proactor({ backend });
      const ring = proactor.createBufferRing({ count: 2, size: 8 });
      const [a, b] = socketPair();
      closeAfter.push(a);
      const rec = new Recorder(proactor);
      const { rs } = streams(rec, a, proactor);
      rs.readFromRing(ring);
      // Waiting: in flight, no buffer taken.
      for (let i = 0; i < 3; i++) proactor.handleEvents(5);
      expect(proactor.inflight()).toBe(1);
      expect(ring.held()).toBe(0);
      sock.sendNow(b, Buffer.from('0123456789'), 0, 10);
      await dispatchUntil(proactor, () => rec.reads.length === 1, 'the one completion');
      // One buffer's worth, then nothing more until the next call.
      expect(rec.reads[0]).toEqual({ success: true, error: '', bytes: 8, more: false, data: '01234567' });
      for (let i = 0; i < 3; i++) proactor.handleEvents(5);
      expect(rec.reads).toHaveLength(1);
      expect(proactor.inflight()).toBe(0);
      expect(ring.held()).toBe(0);
      rs.readFromRing(ring);
      await dispatchUntil(proactor, () => rec.reads.length === 2, 'the rest');
      expect(rec.reads[1]).toEqual({ success: true, error: '', bytes: 2, more: false, data: '89' });
      sock.close(b);
      rs.readFromRing(ring);
      await dispatchUntil(proactor, () => rec.reads.length === 3, 'EOF');
      expect(rec.reads[2]).toEqual({ success: true, error: '', bytes: 0, more: false, data: '' });
      expect(proactor.inflight()).toBe(0);
    });

    ringIt(`readFromRing should wait while every buffer is kept, and complete with ECANCELED when closed meanwhile${skipNote}`, async () => {
      proactor = new Proactor({ backend });
      const { ring, holder: first } = await usedUpRing(8);
      const [a, b] = socketPair();
      closeAfter.push(b);
      const rec = new Recorder(proactor);
      const { rs } = streams(rec, a, proactor);
      rs.readFromRing(ring);
      sock.sendNow(b, Buffer.from('waits'), 0, 5);
      for (let i = 0; i < 5; i++) proactor.handleEvents(10);
      expect(rec.reads).toEqual([]);
      // The buffer comes back: the waiting read takes it.
      first.kept.splice(0).forEach((mb) => mb.release());
      await dispatchUntil(proactor, () => rec.reads.length === 1, 'the waiting read');
      expect(rec.reads[0]).toEqual({ success: true, error: '', bytes: 5, more: false, data: 'waits' });
      // Again, and closed while it waits.
      rec.keep = true;
      sock.sendNow(b, Buffer.from('x'), 0, 1);
      rs.readFromRing(ring);
      await dispatchUntil(proactor, () => rec.kept.length === 1, 'the buffer, kept');
      rec.keep = false;
      rs.readFromRing(ring);
      sock.sendNow(b, Buffer.from('y'), 0, 1);
      for (let i = 0; i < 5; i++) proactor.handleEvents(10);
      let closed = false;
      void proactor.closeHandle(a).then(() => (closed = true));
      await dispatchUntil(proactor, () => closed && rec.reads.at(-1)!.error === 'ECANCELED', 'the close');
      expect(rec.reads.at(-1)!.more).toBe(false);
      rec.kept.splice(0).forEach((mb) => mb.release());
      expect(ring.held()).toBe(0);
      expect(proactor.inflight()).toBe(0);
    });

    describe.each([
      ['readFromRing', (rs: AsynchReadStream, ring: BufferRing) => rs.readFromRing(ring)],
      ['readMultishot', (rs: AsynchReadStream, ring: BufferRing) => rs.readMultishot(ring)],
    ] as const)('%s ending with ENOBUFS not yet dispatched', (name, read) => {

      for (const how of ['closeHandle', 'cancel'] as const) {
        ringIt(`${name} should complete with ECANCELED, not wait for a buffer, when ${how} comes before the ENOBUFS is dispatched${skipNote}`, async () => {
          proactor = new Proactor({ backend });
          const { ring, holder } = await usedUpRing(64);
          const [a, b] = socketPair();
          closeAfter.push(b);
          const victim = new Recorder(proactor);
          const { rs } = streams(victim, a, proactor);
          sock.sendNow(b, Buffer.from('old'), 0, 3);
          read(rs, ring);
          // Submitted; the kernel answers ENOBUFS at once, which waits in the completion queue.
          await undefined;
          let closed = false;
          if (how === 'closeHandle') void proactor.closeHandle(a).then(() => (closed = true));
          else rs.cancel();
          await dispatchUntil(proactor, () => victim.reads.length === 1 && (closed || how === 'cancel'), 'the read to end');
          expect(victim.reads).toEqual([{ success: false, error: 'ECANCELED', bytes: 0, more: false, data: '' }]);
          if (how === 'cancel') {
            closeAfter.push(a);
          } else {
            // A new connection takes the number; the buffer comes back: nothing of it reaches the closed read.
            const [e, f] = socketPair();
            closeAfter.push(e, f);
            sock.sendNow(f, Buffer.from('new'), 0, 3);
            holder.kept.splice(0).forEach((mb) => mb.release());
            for (let i = 0; i < 10; i++) {
              proactor.handleEvents(5);
              await undefined;
            }
            const left = Buffer.alloc(8);
            expect(sock.recvNow(e, left, 0, 8)).toBe(3);
          }
          holder.kept.splice(0).forEach((mb) => mb.release());
          expect(victim.reads).toHaveLength(1);
          expect(proactor.inflight()).toBe(0);
        });
      }
    });

    ringIt(`readFromRing should not wait for a release when the ring got a buffer back after the kernel found it empty${skipNote}`, async () => {
      proactor = new Proactor({ backend });
      const ring = proactor.createBufferRing({ count: 1, size: 8 });
      const [y, y2] = socketPair();
      const [x, x2] = socketPair();
      closeAfter.push(y, y2, x, x2);
      // Y has more than one buffer's worth, and reads again from its handler,
      // ahead of X: Y takes the one buffer three times, and then stops reading.
      const ys = new AsynchReadStream();
      let yReads = 0;
      ys.open(
        new (class extends Handler {
          override handleReadStream() {
            if (++yReads < 3) ys.readFromRing(ring);
          }
        })(proactor),
        y,
        undefined,
        proactor,
      );
      const rec = new Recorder(proactor);
      const { rs } = streams(rec, x, proactor);
      sock.sendNow(y2, Buffer.alloc(64, 0x79), 0, 64);
      sock.sendNow(x2, Buffer.from('hello\n'), 0, 6);
      ys.readFromRing(ring);
      rs.readFromRing(ring);
      await dispatchUntil(proactor, () => yReads === 3 && rec.reads.length === 1, () => `Y's reads and X's (${yReads}, ${rec.reads.length})`);
      expect(rec.reads[0].data).toBe('hello\n');
      expect(ring.held()).toBe(0);
    });

    ringIt(`a read waiting for a buffer should complete with ECANCELED at once, reading nothing, when SockStream.close closes its handle${skipNote}`, async () => {
      proactor = new Proactor({ backend });
      const { ring, holder: first } = await usedUpRing(8);
      const [a, b] = socketPair();
      closeAfter.push(b);
      const rec = new Recorder(proactor);
      streams(rec, a, proactor).rs.readFromRing(ring);
      sock.sendNow(b, Buffer.from('old'), 0, 3);
      for (let i = 0; i < 5; i++) proactor.handleEvents(10);
      expect(proactor.inflight()).toBe(1);
      // Closed without the proactor (which the waiting read does not hear of), and the number reused.
      new SockStream(a).close();
      const [e, f] = socketPair();
      closeAfter.push(e, f);
      sock.sendNow(f, Buffer.from('new'), 0, 3);
      // Nothing is released: the close alone ends the read.
      await dispatchUntil(proactor, () => rec.reads.length === 1, 'the waiting read to end');
      expect(rec.reads).toEqual([{ success: false, error: 'ECANCELED', bytes: 0, more: false, data: '' }]);
      first.kept.splice(0).forEach((mb) => mb.release());
      for (let i = 0; i < 5; i++) proactor.handleEvents(5);
      const left = Buffer.alloc(8);
      expect(sock.recvNow(e, left, 0, 8)).toBe(3);
      expect(proactor.inflight()).toBe(0);
    });

    ringIt(`should refuse a ring made by another proactor, and read nothing with it${skipNote}`, async () => {
      proactor = new Proactor({ backend });
      const other = new Proactor({ backend });
      try {
        const foreign = other.createBufferRing({ count: 2, size: 8 });
        const own = proactor.createBufferRing({ count: 2, size: 8 });
        // Both are group 0 of their proactor: only the proactor tells them apart.
        expect(foreign.group).toBe(own.group);
        const [a, b] = socketPair();
        closeAfter.push(a, b);
        const rec = new Recorder(proactor);
        const { rs } = streams(rec, a, proactor);
        for (const read of [() => rs.readFromRing(foreign), () => rs.readMultishot(foreign)]) {
          expect(read).toThrow(/the ring was not made by this stream's proactor/);
        }
        expect(proactor.inflight()).toBe(0);
        sock.sendNow(b, Buffer.from('abcdefgh'), 0, 8);
        rs.readFromRing(own);
        await dispatchUntil(proactor, () => rec.reads.length === 1, 'the read from its own ring');
        expect(rec.reads[0].data).toBe('abcdefgh');
        expect(own.held()).toBe(0);
      } finally {
        await other.close();
      }
    });

    ringIt(`should let a handler give its buffer back itself, and refuse keepBuffer() once the handler has returned${skipNote}`, async () => {
      proactor = new Proactor({ backend });
      const ring = proactor.createBufferRing({ count: 1, size: 8 });
      const [a, b] = socketPair();
      closeAfter.push(a, b);
      const seen: string[] = [];
      let late: AsynchReadMultishotResult | undefined;
      const errors: unknown[] = [];
      proactor.errorHook = (e) => errors.push(e);
      const rs = new AsynchReadStream();
      rs.open(
        new (class extends Handler {
          override handleReadStream(r: AsynchReadStreamResult) {
            seen.push(r.messageBlock.data().toString());
            late = r as AsynchReadMultishotResult;
            r.messageBlock.release();
          }
        })(proactor),
        a,
        undefined,
        proactor,
      );
      for (const word of ['one', 'two']) {
        sock.sendNow(b, Buffer.from(word), 0, word.length);
        rs.readFromRing(ring);
        await dispatchUntil(proactor, () => seen.length > 0 && seen.at(-1) === word, word);
      }
      expect(errors).toEqual([]);
      expect(ring.held()).toBe(0);
      expect(() => late!.keepBuffer()).toThrow(/keepBuffer\(\): called after the handler returned/);
    });

    ringIt(`inflight() should count a read waiting for a ring buffer${skipNote}`, async () => {
      proactor = new Proactor({ backend });
      const { ring, holder: first } = await usedUpRing(8);
      const [a, b] = socketPair();
      closeAfter.push(a, b);
      const rec = new Recorder(proactor);
      streams(rec, a, proactor).rs.readFromRing(ring);
      sock.sendNow(b, Buffer.from('waits'), 0, 5);
      for (let i = 0; i < 5; i++) proactor.handleEvents(10);
      expect(rec.reads).toEqual([]);
      expect(proactor.inflight()).toBe(1);
      first.kept.splice(0).forEach((mb) => mb.release());
      await dispatchUntil(proactor, () => rec.reads.length === 1, 'the waiting read');
      expect(proactor.inflight()).toBe(0);
    });

    it('readFromRing should be refused plainly where there are no buffer rings', () => {
      proactor = new Proactor({ backend });
      if (hasMultishotRecv) return expect(proactor.implementation().supports('recvMultishot')).toBe(true);
      const [a, b] = socketPair();
      closeAfter.push(a, b);
      const rec = new Recorder(proactor);
      const { rs } = streams(rec, a, proactor);
      const fakeRing = {} as BufferRing;
      expect(() => rs.readFromRing(fakeRing)).toThrow(backend === 'uring' ? /readFromRing: this kernel's io_uring has no multishot reads/ : new RegExp(`readFromRing: the ${backend} backend has no buffer rings`));
    });

    it('should refuse a ring of a size that is not a power of two', () => {
      proactor = new Proactor({ backend });
      if (!hasMultishotRecv) {
        expect(() => proactor.createBufferRing()).toThrow(backend === 'uring' ? /no multishot reads/ : /has no buffer rings/);
        return;
      }
      expect(() => proactor.createBufferRing({ count: 3 })).toThrow(/power of two/);
    });
  });

  describe('zero-copy sends', () => {
    const zcIt = hasZc ? it : it.skip;
    const skipNote = hasZc ? '' : ` (${backend} has no SEND_ZC)`;

    zcIt(`should send 1 MiB without copying, each write heard once its block is free, every byte delivered${skipNote}`, async () => {
      proactor = new Proactor({ backend, zeroCopySendThreshold: 64 * 1024 });
      expect(proactor.implementation().zeroCopyThreshold()).toBe(64 * 1024);
      const { server, client } = await tcpPair(proactor);
      closeAfter.push(server, client);
      const rec = new Recorder(proactor);
      const payload = Buffer.alloc(1 << 20);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
      const mb = MessageBlock.from(payload);
      const { ws } = streams(rec, server, proactor);
      const writer = new (class extends Handler {
        override handleWriteStream(r: AsynchWriteStreamResult) {
          rec.writes.push(r);
          if (r.success && mb.length() > 0) ws.write(mb, mb.length());
        }
      })(proactor);
      ws.open(writer, server, undefined, proactor);
      ws.write(mb, mb.length());
      const got = await drainPeer(proactor, client, payload.length);
      await dispatchUntil(proactor, () => mb.length() === 0 && proactor.inflight() === 0, 'the last send to be free');
      expect(got.equals(payload)).toBe(true);
      expect(rec.writes.every((r) => r.success && r.bytesTransferred > 0)).toBe(true);
      expect(rec.writes.reduce((n, r) => n + r.bytesTransferred, 0)).toBe(payload.length);
    });

    zcIt(`should write to a file the ordinary way${skipNote}`, async () => {
      proactor = new Proactor({ backend, zeroCopySendThreshold: 1 });
      const path = join(tmpdir(), `ace-zc-${process.pid}.txt`);
      const fd = openSync(path, 'w');
      try {
        const rec = new Recorder(proactor);
        streams(rec, fd, proactor).ws.write(MessageBlock.from('not a socket'), 12);
        await dispatchUntil(proactor, () => rec.writes.length === 1, 'the write');
        expect(rec.writes[0].success).toBe(true);
        expect(rec.writes[0].bytesTransferred).toBe(12);
        expect(readFileSync(path, 'utf8')).toBe('not a socket');
      } finally {
        closeSync(fd);
        rmSync(path);
      }
    });
  });

  describe('registered files', () => {
    (hasFixedFiles ? it : it.skip)(`should give each stream a slot, share the slots out, and free them at closeHandle${hasFixedFiles ? '' : ` (${backend} registers no files here)`}`, async () => {
      proactor = new Proactor({ backend, fixedFiles: 2 });
      const impl = proactor.implementation() as NativeProactorImpl;
      const pairs = [socketPair(), socketPair(), socketPair()];
      const recs = pairs.map(() => new Recorder(proactor));
      pairs.forEach(([a], i) => streams(recs[i], a, proactor).rs.read(new MessageBlock(16), 16));
      pairs.forEach(([, b], i) => sock.sendNow(b, Buffer.from(`pair ${i}`), 0, 6));
      await dispatchUntil(proactor, () => recs.every((r) => r.reads.length === 1), 'three reads');
      // Two slots for three streams: the third ran without one.
      expect(impl.fixedFilesInUse()).toBe(2);
      expect(recs.map((r) => r.received())).toEqual(['pair 0', 'pair 1', 'pair 2']);
      let closed = 0;
      for (const [a, b] of pairs) {
        void proactor.closeHandle(a).then(() => closed++);
        closeAfter.push(b);
      }
      await dispatchUntil(proactor, () => closed === 3 && impl.fixedFilesInUse() === 0, 'the slots to come back');
      // A peer sees the close at once: no slot holds the socket open.
      const buf = Buffer.alloc(4);
      for (const [, b] of pairs) expect(sock.recvNow(b, buf, 0, 4)).toBe(0);
    });
  });

  describe('the hot path', () => {
    it('should reuse a stream\'s result for its next initiation once the handler has returned', async () => {
      proactor = new Proactor({ backend });
      const [a, b] = socketPair();
      closeAfter.push(a, b);
      const reads: AsynchReadStreamResult[] = [];
      const writes: AsynchWriteStreamResult[] = [];
      const mb = new MessageBlock(64);
      // Echo-shaped: read → write → read …, five round trips.
      const handler = new (class extends Handler {
        override handleReadStream(r: AsynchReadStreamResult) {
          reads.push(r);
          ws.write(mb, mb.length());
        }
        override handleWriteStream(r: AsynchWriteStreamResult) {
          writes.push(r);
          mb.reset();
          if (writes.length < 5) rs.read(mb, 64, writes.length);
        }
      })(proactor);
      const rs = new AsynchReadStream();
      const ws = new AsynchWriteStream();
      rs.open(handler, a, undefined, proactor);
      ws.open(handler, a, undefined, proactor);
      rs.read(mb, 64, 0);
      const got = Buffer.alloc(64);
      for (let i = 0; i < 5; i++) {
        sock.sendNow(b, Buffer.from(`round ${i}`), 0, 7);
        await dispatchUntil(proactor, () => writes.length === i + 1, `round ${i}`);
        expect(sock.recvNow(b, got, 0, 64)).toBe(7);
        expect(got.subarray(0, 7).toString()).toBe(`round ${i}`);
      }
      // One read result and one write result served every round trip.
      expect(new Set(reads).size).toBe(1);
      expect(new Set(writes).size).toBe(1);
      // Each was re-initiated: the act is the last round's.
      expect(reads[0].act).toBe(4);

      // A vectored read is not reused, nor a result across open().
      const chain = new MessageBlock(4);
      chain.cont = new MessageBlock(4);
      const vec: AsynchReadStreamResult[] = [];
      const vh = new (class extends Handler {
        override handleReadStream(r: AsynchReadStreamResult) {
          vec.push(r);
        }
      })(proactor);
      rs.open(vh, a, undefined, proactor);
      for (let i = 0; i < 2; i++) {
        chain.reset();
        chain.cont.reset();
        rs.readv(chain, 8);
        sock.sendNow(b, Buffer.from('12345678'), 0, 8);
        await dispatchUntil(proactor, () => vec.length === i + 1, 'the readv');
      }
      expect(vec[0]).not.toBe(vec[1]);
      expect(vec[0]).not.toBe(reads[0]);
    });
  });

  describe('ring set-up options', () => {
    (backend === 'uring' ? it : it.skip)(`should fall back to cooperative task work without deferral, and run a kernel SQ thread when asked${backend === 'uring' ? '' : ` (io_uring set-up flags: the ${backend} backend has no ring)`}`, async () => {
      proactor = new Proactor({ backend, deferTaskrun: false });
      expect(proactor.implementation().describe()).not.toMatch(/defer-taskrun/);
      expect(proactor.implementation().describe()).toMatch(/coop-taskrun/);
      const sqpoll = new Proactor({ backend, sqpoll: true });
      try {
        expect(sqpoll.implementation().describe()).toMatch(/sqpoll/);
        for (const p of [proactor, sqpoll]) {
          const [a, b] = socketPair();
          closeAfter.push(a, b);
          const rec = new Recorder(p);
          const rs = new AsynchReadStream();
          rs.open(rec, a, undefined, p);
          rs.read(new MessageBlock(8), 8);
          sock.sendNow(b, Buffer.from('ping'), 0, 4);
          await dispatchUntil(p, () => rec.reads.length === 1, 'the read');
          expect(rec.received()).toBe('ping');
        }
      } finally {
        await sqpoll.close();
      }
    });
  });
});

// The ring's keep/release contract, without a kernel.
describe('BufferRing bookkeeping', () => {
  it('should refuse to take back a block it did not lend', () => {
    const provided: number[] = [];
    const { BufferRing } = jest.requireActual<{ BufferRing: new (...args: unknown[]) => BufferRing }>('../../framework/proactor/BufferRing');
    const ring = new BufferRing({ registerBufferRing: () => 0, provideBuffer: (_g: number, id: number) => provided.push(id) }, 3, { count: 2, size: 4 });
    const mb = ring.lend(1, 3);
    expect(mb.length()).toBe(3);
    expect(ring.held()).toBe(1);
    mb.release();
    expect(provided).toEqual([1]);
    expect(() => mb.release()).toThrow(/not lent/);
    expect(() => ring.release(new MessageBlock(4))).toThrow(/not lent/);
  });
});
