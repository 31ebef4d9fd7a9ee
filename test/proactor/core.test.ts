import { readFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { Errno } from '../../framework/common/errno';
import { loadNative, nativeAddonPath } from '../../framework/native/loadNative';
import { Handler } from '../../framework/proactor/Handler';
import { type NativeProactorImpl } from '../../framework/proactor/NativeProactorImpl';
import { Proactor } from '../../framework/proactor/Proactor';
import { type DispatchStrategy } from '../../framework/proactor/ProactorOptions';
import { type AsynchReadMultishotResult } from '../../framework/proactor/results/AsynchReadMultishotResult';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchWriteStreamResult } from '../../framework/proactor/results/AsynchWriteStreamResult';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks, handleCountUnavailable } from '../support/leaks';
import { socketPair, streams } from '../support/streams';
import { tcpPair } from '../support/tcpPair';
import { noSocketDup, onlyOnLinux, skipNote } from '../support/platform';

const sock = loadNative().socket;

expectNoFdLeaks();

/** Resolves after ms of Node's own timers. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Records every read it is handed, by handle. */
class Reads extends Handler {
  readonly seen: { handle: number; success: boolean; errorCode: string; text: string; at: number }[] = [];
  onRead: (r: AsynchReadStreamResult) => void = () => {};
  override handleReadStream(r: AsynchReadStreamResult) {
    this.seen.push({ handle: r.handle, success: r.success, errorCode: r.errorCode, text: r.messageBlock.data().toString(), at: Date.now() });
    this.onRead(r);
  }
}

/** Runs the proactor in strategy until done() (post-reactive: Node's loop wakes it). */
async function runUntil(proactor: Proactor, strategy: DispatchStrategy, done: () => boolean, what: string): Promise<void> {
  if (strategy === 'call-through') return dispatchUntil(proactor, done, what);
  void proactor.proactorRunEventLoop();
  const deadline = Date.now() + 10000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}


/**
 * CPU time of the JS thread, in ms: from its schedstat on Linux, so that the
 * kernel's worker threads and GC helpers of this process do not count (a
 * neighbour test's io_uring work lands there); the whole process elsewhere.
 */
function jsThreadCpuMs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    const cpu = process.cpuUsage();
    return (cpu.user + cpu.system) / 1000;
  }
}

describe.each(backends)('the %s proactor core', (backend) => {
  const toClose: number[] = [];
  afterEach(() => {
    for (const fd of toClose.splice(0)) sock.close(fd);
  });

  describe.each(['post-reactive', 'call-through'] as const)('when close() is called from inside a handler (%s)', (strategy) => {
    // The case needs three reads the kernel finishes together to reach the
    // proactor in one batch. aio finishes each on its own glibc worker and
    // announces it from its own thread, so they arrive one by one, and a
    // read still in glibc's queue when close() cancels it ends ECANCELED
    // without its data.
    const oneBatch = backend !== 'aio';
    const test = oneBatch ? it : it.skip;
    test(`should return promptly, dispatch every operation exactly once before it returns, and nothing after${oneBatch ? '' : ' (aio: completions do not arrive in one batch)'}`, async () => {
      const proactor = new Proactor({ backend });
      const hookErrors: unknown[] = [];
      proactor.errorHook = (e) => hookErrors.push(e);
      const uncaught: unknown[] = [];
      const onUncaught = (e: unknown) => uncaught.push(e);
      process.on('uncaughtException', onUncaught);
      try {
        const rec = new Reads(proactor);
        const pairs = [socketPair(), socketPair(), socketPair(), socketPair()];
        for (const [a, b] of pairs) toClose.push(a, b);
        const reads = pairs.map(([a]) => streams(rec, a, proactor).rs);
        reads.forEach((rs) => rs.read(new MessageBlock(16), 16));
        let closeMs = -1;
        let closeReturned = false;
        let afterClose = 0;
        rec.onRead = (r) => {
          if (closeReturned) afterClose++;
          if (rec.seen.length === 1) {
            const t0 = Date.now();
            void proactor.close();
            closeMs = Date.now() - t0;
            closeReturned = true;
            return;
          }
          // A handler dispatched by close() that starts another read: it is
          // cancelled before it begins, and still dispatched.
          if (r.success) reads[pairs.findIndex(([a]) => a === r.handle)].read(new MessageBlock(16), 16);
        };
        // Three reads complete in one batch; the fourth stays in flight.
        for (const [, b] of pairs.slice(0, 3)) expect(sock.sendNow(b, Buffer.from('ping'), 0, 4)).toBe(4);
        await runUntil(proactor, strategy, () => closeReturned, 'the handler that closes');
        await sleep(50);
        expect(closeMs).toBeLessThan(1000);
        expect(afterClose).toBe(0);
        // 3 data + 1 cancelled in-flight read + 2 reads started during close (cancelled).
        expect(rec.seen.length).toBe(6);
        const byHandle = new Map<number, string[]>();
        for (const s of rec.seen) byHandle.set(s.handle, [...(byHandle.get(s.handle) ?? []), s.success ? s.text : s.errorCode]);
        expect(byHandle.get(pairs[0][0])).toEqual(['ping']);
        expect(byHandle.get(pairs[1][0])).toEqual(['ping', 'ECANCELED']);
        expect(byHandle.get(pairs[2][0])).toEqual(['ping', 'ECANCELED']);
        expect(byHandle.get(pairs[3][0])).toEqual(['ECANCELED']);
        expect(proactor.inflight()).toBe(0);
        expect(hookErrors).toEqual([]);
        expect(uncaught).toEqual([]);
        expect(proactor.implementation().isClosed()).toBe(true);
      } finally {
        process.off('uncaughtException', onUncaught);
        await proactor.close();
      }
    });
  });

  describe('when a handle is closed while another fd for the same socket has a read in flight', () => {
    (noSocketDup ? it.skip : it)(`should cancel exactly the closed handle's operations (ECANCELED) and leave the other fd's read to complete with data${skipNote(noSocketDup)}`, async () => {
      const proactor = new Proactor({ backend });
      try {
        const [a, peer] = socketPair();
        const twin = sock.dup(a);
        expect(twin).toBeGreaterThanOrEqual(0);
        toClose.push(peer, twin);
        const rec = new Reads(proactor);
        streams(rec, a, proactor).rs.read(new MessageBlock(8), 8);
        streams(rec, a, proactor).rs.read(new MessageBlock(8), 8);
        streams(rec, twin, proactor).rs.read(new MessageBlock(8), 8);
        let closed = false;
        void proactor.closeHandle(a).then(() => (closed = true));
        await dispatchUntil(proactor, () => closed && rec.seen.length >= 2, 'closeHandle');
        expect(rec.seen.map((s) => [s.handle, s.errorCode])).toEqual([
          [a, 'ECANCELED'],
          [a, 'ECANCELED'],
        ]);
        expect(proactor.implementation().inflight()).toBe(1);
        sock.sendNow(peer, Buffer.from('for-twin'), 0, 8);
        await dispatchUntil(proactor, () => rec.seen.length === 3, 'the read on the other fd');
        expect(rec.seen[2]).toMatchObject({ handle: twin, success: true, text: 'for-twin' });
      } finally {
        await proactor.close();
      }
    });
  });

  describe('when a stream is re-opened on another handle inside its own handler', () => {
    it('should read the new handle on the next read, never the old one', async () => {
      const proactor = new Proactor({ backend });
      try {
        const [a, peerA] = socketPair();
        const [b, peerB] = socketPair();
        toClose.push(a, peerA, b, peerB);
        const rec = new Reads(proactor);
        const { rs } = streams(rec, a, proactor);
        rec.onRead = () => {
          if (rec.seen.length === 1) rs.open(rec, b, undefined, proactor);
        };
        rs.read(new MessageBlock(16), 16);
        sock.sendNow(peerA, Buffer.from('from-a-1'), 0, 8);
        await dispatchUntil(proactor, () => rec.seen.length === 1, 'the first read');
        // The read after the handler returned: the recycled result must not carry handle a.
        rs.read(new MessageBlock(16), 16);
        sock.sendNow(peerA, Buffer.from('from-a-2'), 0, 8);
        sock.sendNow(peerB, Buffer.from('from-b-1'), 0, 8);
        await dispatchUntil(proactor, () => rec.seen.length === 2, 'the second read');
        expect(rec.seen[1].handle).toBe(b);
        expect(rec.seen[1].text).toBe('from-b-1');
      } finally {
        await proactor.close();
      }
    });
  });

  describe('when an unclosed proactor is dropped', () => {
    (handleCountUnavailable ? it.skip : it)(`should be collected, its ring released, unless it has operations in flight${skipNote(handleCountUnavailable)}`, async () => {
      const gc = (global as { gc?: () => void }).gc;
      if (!gc) throw new Error('run jest with node --expose-gc');
      const settle = async () => {
        for (let i = 0; i < 6; i++) {
          gc();
          await sleep(10);
        }
      };
      const fds = () => require('node:fs').readdirSync('/proc/self/fd').length as number;
      await settle();
      const before = fds();
      (() => {
        for (let i = 0; i < 20; i++) {
          const p = new Proactor({ backend });
          // One that ran an operation to its end, one that ran its loop.
          if (i % 2 === 0) p.proactorPostWakeupCompletions(1);
          while (p.inflight() > 0) p.handleEvents(100);
          if (i % 4 === 1) {
            void p.proactorRunEventLoop();
            p.proactorEndEventLoop();
          }
          if (i % 4 === 3) {
            void p.proactorRunEventLoop('call-through');
            setTimeout(() => p.proactorEndEventLoop(), 5);
          }
        }
      })();
      expect(fds()).toBeGreaterThanOrEqual(before + 20);
      await sleep(20);
      await settle();
      expect(fds()).toBe(before);

      // Closed ones too, closed with operations in flight or a loop running.
      const closed: WeakRef<Proactor>[] = [];
      await (async () => {
        for (let i = 0; i < 5; i++) {
          const p = new Proactor({ backend });
          const [x, y] = socketPair();
          streams(new Reads(), x, p).rs.read(new MessageBlock(8), 8);
          void p.proactorRunEventLoop();
          await p.close();
          sock.close(x);
          sock.close(y);
          closed.push(new WeakRef(p));
        }
      })();
      await settle();
      expect(closed.filter((r) => r.deref() !== undefined)).toHaveLength(0);

      // With a read in flight it stays alive, and finishes the read when run.
      const [a, peer] = socketPair();
      toClose.push(a, peer);
      const rec = new Reads();
      let keep: WeakRef<Proactor> | undefined;
      (() => {
        const p = new Proactor({ backend });
        keep = new WeakRef(p);
        streams(rec, a, p).rs.read(new MessageBlock(8), 8);
        void p.proactorRunEventLoop();
      })();
      await settle();
      expect(keep!.deref()).toBeDefined();
      sock.sendNow(peer, Buffer.from('alive'), 0, 5);
      const deadline = Date.now() + 5000;
      while (rec.seen.length === 0 && Date.now() < deadline) await sleep(5);
      expect(rec.seen.map((s) => s.text)).toEqual(['alive']);
      await keep!.deref()!.close();
    });
  });

  describe('when the call-through loop runs', () => {
    it("should let Node's timers and I/O run while it waits, and end from outside a handler at once", async () => {
      const proactor = new Proactor({ backend });
      const server: Server = createServer((s) => s.pipe(s));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const loop = proactor.proactorRunEventLoop('call-through');
        const t0 = Date.now();
        await sleep(100);
        const timerMs = Date.now() - t0;
        // Node I/O through the same thread while the proactor waits in the kernel.
        const port = (server.address() as { port: number }).port;
        const echoed = await new Promise<string>((resolve, reject) => {
          const c = connect(port, '127.0.0.1', () => c.end('over node'));
          let got = '';
          c.on('data', (d) => (got += d));
          c.on('end', () => resolve(got));
          c.on('error', reject);
        });
        const t1 = Date.now();
        setTimeout(() => proactor.proactorEndEventLoop(), 20);
        await loop;
        const endMs = Date.now() - t1;
        expect(timerMs).toBeLessThan(400);
        expect(echoed).toBe('over node');
        expect(endMs).toBeLessThan(400);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await proactor.close();
      }
    });

    it('should refuse a wait it cannot honour, and take Infinity for no limit', async () => {
      const proactor = new Proactor({ backend });
      try {
        for (const bad of [NaN, -5, 2 ** 32, 1.5]) expect(() => proactor.handleEvents(bad)).toThrow(/timeoutMs must be/);
        proactor.proactorPostWakeupCompletions(1);
        expect(proactor.handleEvents(Infinity)).toBe(1);
      } finally {
        await proactor.close();
      }
    });

    it('should refuse to start the other strategy while one runs', async () => {
      const proactor = new Proactor({ backend });
      try {
        const loop = proactor.proactorRunEventLoop('post-reactive');
        expect(proactor.proactorRunEventLoop('post-reactive')).toBe(loop);
        expect(() => proactor.proactorRunEventLoop('call-through')).toThrow(/already running 'post-reactive'/);
        proactor.proactorEndEventLoop();
        await loop;
      } finally {
        await proactor.close();
      }
    });
  });

  describe('when an interval timer runs', () => {
    it('should keep its long-run rate however long each dispatch takes (re-armed at expiry + interval)', async () => {
      const proactor = new Proactor({ backend });
      try {
        let ticks = 0;
        let lastAt = 0;
        const busy = new (class extends Handler {
          override handleTimeOut() {
            ticks++;
            lastAt = Date.now();
            const until = Date.now() + 5;
            while (Date.now() < until) {
              // a handler that takes 5 ms
            }
            if (ticks === 50) proactor.cancelTimer(id);
          }
        })(proactor);
        const start = Date.now();
        const id = proactor.scheduleTimer(busy, null, 20, 20);
        await dispatchUntil(proactor, () => ticks >= 50, 'the 50th tick');
        const elapsed = lastAt - start;
        // Relative re-arming took 50 × (20 ms + the handler's 5 ms) ≥ 1250 ms.
        expect(elapsed).toBeGreaterThanOrEqual(990);
        expect(elapsed).toBeLessThan(1150);
      } finally {
        await proactor.close();
      }
    });
  });

  describe('when a submission is refused for want of memory (EAGAIN)', () => {
    it('should submit again by itself when the operation was started outside dispatch', async () => {
      const proactor = new Proactor({ backend });
      try {
        const [a, peer] = socketPair();
        toClose.push(a, peer);
        const rec = new Reads(proactor);
        void proactor.proactorRunEventLoop();
        (proactor.implementation() as NativeProactorImpl).failNextSubmits(1, Errno.EAGAIN);
        streams(rec, a, proactor).rs.read(new MessageBlock(8), 8);
        await sleep(20);
        sock.sendNow(peer, Buffer.from('late'), 0, 4);
        const deadline = Date.now() + 2000;
        while (rec.seen.length === 0 && Date.now() < deadline) await sleep(5);
        expect(rec.seen.map((s) => s.text)).toEqual(['late']);
      } finally {
        await proactor.close();
      }
    });
  });

  describe('when many completions are ready at once', () => {
    it('should dispatch at most 64 batches per wake', async () => {
      const proactor = new Proactor({ backend, completionBatch: 1 });
      try {
        let wakeups = 0;
        const h = new (class extends Handler {
          override handleWakeup() {
            wakeups++;
          }
        })(proactor);
        proactor.proactorPostWakeupCompletions(200, h);
        proactor.handleEvents(0);
        expect(wakeups).toBe(64);
        await dispatchUntil(proactor, () => wakeups === 200, 'every wakeup');
      } finally {
        await proactor.close();
      }
    });
  });

  describe('when zero-copy sends wait for a peer that does not read', () => {
    it('should close at once, tell the handler once, and keep the block until the kernel lets go', async () => {
      const fds = () => require('node:fs').readdirSync('/proc/self/fd').length as number;
      const base = fds();
      const proactor = new Proactor({ backend, zeroCopySendThreshold: 64 * 1024 });
      if (!proactor.implementation().supports('sendZc')) {
        await proactor.close();
        return; // no SEND_ZC on this kernel: nothing lingers
      }
      const ringFds = fds() - base;
      const { server, client } = await tcpPair(proactor);
      const writes: AsynchWriteStreamResult[] = [];
      const w = new (class extends Handler {
        override handleWriteStream(r: AsynchWriteStreamResult) {
          writes.push(r);
        }
      })(proactor);
      // More than the peer's window: the send waits, its pages pinned in the send queue.
      const payload = Buffer.alloc(16 * 1024 * 1024);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 13) & 0xff;
      const mb = MessageBlock.from(payload);
      streams(w, server, proactor).ws.write(mb, mb.length());
      // Sent (the first completion), the notification waiting for the peer.
      for (let i = 0; i < 10; i++) {
        proactor.handleEvents(10);
        await undefined;
      }
      expect(writes.length).toBe(0);
      expect(proactor.inflight()).toBe(1);
      const t0 = Date.now();
      await proactor.close();
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(writes.length).toBe(1);
      expect(writes[0].success).toBe(true);
      const sent = writes[0].bytesTransferred;
      expect(sent).toBeGreaterThan(0);
      // The handler is told, but the block says the kernel still reads it.
      expect(mb.isHeldByKernel()).toBe(true);
      expect(() => mb.copy('x')).toThrow(/zero-copy/);
      // The ring, and the block with it, stay until the peer reads.
      expect(fds()).toBe(base + ringFds + 2);
      const got = Buffer.alloc(sent);
      let n = 0;
      const readBy = Date.now() + 10000;
      while (n < sent && Date.now() < readBy) {
        const r = sock.recvNow(client, got, n, got.length - n);
        if (r > 0) n += r;
        else await sleep(2);
      }
      expect(got.equals(payload.subarray(0, sent))).toBe(true);
      const letGoBy = Date.now() + 3000;
      while (mb.isHeldByKernel() && Date.now() < letGoBy) await sleep(5);
      expect(mb.isHeldByKernel()).toBe(false);
      sock.close(server);
      sock.close(client);
      const deadline = Date.now() + 3000;
      while (fds() !== base && Date.now() < deadline) await sleep(10);
      expect(fds()).toBe(base);
    });
  });

  describe('when the kernel cancels one operation at a time (before 5.19)', () => {
    (backend === 'uring' ? it : it.skip)(`should still cancel at closeHandle and at close(), and tear down with operations in flight${backend === 'uring' ? '' : ` (an io_uring mode: the ${backend} backend cancels in user space)`}`, async () => {
      const proactor = new Proactor({ backend, legacyCancel: true, sqEntries: 8 });
      expect(proactor.implementation().describe()).toMatch(/cancel by token/);
      const rec = new Reads(proactor);
      const [a, peerA] = socketPair();
      const [b, peerB] = socketPair();
      toClose.push(peerA, b, peerB);
      streams(rec, a, proactor).rs.read(new MessageBlock(8), 8);
      streams(rec, a, proactor).rs.read(new MessageBlock(8), 8);
      streams(rec, b, proactor).rs.read(new MessageBlock(8), 8);
      let closed = false;
      void proactor.closeHandle(a).then(() => (closed = true));
      await dispatchUntil(proactor, () => closed && rec.seen.length === 2, 'closeHandle');
      expect(rec.seen.map((s) => s.errorCode)).toEqual(['ECANCELED', 'ECANCELED']);
      // More reads than the SQ holds, then close().
      for (let i = 0; i < 20; i++) streams(rec, b, proactor).rs.read(new MessageBlock(8), 8);
      await proactor.close();
      expect(rec.seen.length).toBe(23);
      expect(rec.seen.slice(2).every((s) => s.errorCode === 'ECANCELED')).toBe(true);
    });
  });

  describe('when a zero-copy send waits in the kernel for a peer that does not read', () => {
    it('should be cancelled by its own cancel()', async () => {
      const proactor = new Proactor({ backend, zeroCopySendThreshold: 64 * 1024 });
      try {
        if (!proactor.implementation().supports('sendZc')) return; // no SEND_ZC on this kernel
        const { server, client } = await tcpPair(proactor);
        toClose.push(server, client);
        const writes: AsynchWriteStreamResult[] = [];
        const w = new (class extends Handler {
          override handleWriteStream(r: AsynchWriteStreamResult) {
            writes.push(r);
          }
        })(proactor);
        const { ws } = streams(w, server, proactor);
        // Fill the connection first, so that the send has to wait.
        const fill = Buffer.alloc(1 << 16, 2);
        let filled = 0;
        for (let n = sock.sendNow(server, fill, 0, fill.length); n > 0; n = sock.sendNow(server, fill, 0, fill.length)) filled += n;
        const big = MessageBlock.from(Buffer.alloc(8 * 1024 * 1024, 1));
        ws.write(big, big.length());
        for (let i = 0; i < 3; i++) proactor.handleEvents(10);
        expect(writes).toHaveLength(0);
        // Still sending: asked to cancel (ACE's 0); or, when the kernel took
        // it all at once (it can, pinning the pages), past cancelling (2).
        const code = ws.cancel();
        expect([0, 2]).toContain(code);
        for (let i = 0; i < 5; i++) proactor.handleEvents(10);
        // Cancelled: what the peer now reads past the fill is all the send
        // ever sends, and the handler hears once the kernel lets go of it.
        const chunk = Buffer.alloc(1 << 20);
        let got = -filled;
        for (let idle = 0; idle < 50 && writes.length === 0; ) {
          const n = sock.recvNow(client, chunk, 0, chunk.length);
          if (n > 0) got += n;
          else idle++;
          proactor.handleEvents(2);
        }
        await dispatchUntil(proactor, () => writes.length === 1, 'the cancelled send', 2000);
        for (let idle = 0; idle < 20; ) {
          const n = sock.recvNow(client, chunk, 0, chunk.length);
          if (n > 0) got += n;
          else {
            idle++;
            await sleep(2);
          }
        }
        // Cut short, or cancelled before it sent a byte; or, past cancelling, all of it.
        const r = writes[0];
        // Whatever the handler is told went out is exactly what the peer read.
        const outcome = r.success ? `sent, the peer read it: ${r.bytesTransferred === got}` : `${r.errorCode} ${got}`;
        expect(outcome).toBe(r.success || code === 2 ? 'sent, the peer read it: true' : 'ECANCELED 0');
      } finally {
        await proactor.close();
      }
    });
  });

  describe('when the call-through loop has nothing to do', () => {
    it('should not spin', async () => {
      const proactor = new Proactor({ backend });
      try {
        const loop = proactor.proactorRunEventLoop('call-through');
        await sleep(50);
        const cpu0 = jsThreadCpuMs();
        await sleep(500);
        const cpuMs = jsThreadCpuMs() - cpu0;
        proactor.proactorEndEventLoop();
        await loop;
        // A spinning loop takes the whole half second of the JS thread; GC and
        // timers take a little.
        expect(cpuMs).toBeLessThan(250);
      } finally {
        await proactor.close();
      }
    });
  });

  describe('when close() comes while a multishot read is parked for a ring buffer', () => {
    it('should still dispatch the read, with ECANCELED, before it returns', async () => {
      const proactor = new Proactor({ backend });
      try {
        if (!proactor.implementation().supports('recvMultishot')) return; // no multishot reads on this kernel
        const ring = proactor.createBufferRing({ count: 1, size: 16 });
        const [a, peer] = socketPair();
        toClose.push(a, peer);
        const seen: string[] = [];
        const kept: MessageBlock[] = [];
        let closeReturned = false;
        const h = new (class extends Handler {
          override handleReadStream(r: AsynchReadStreamResult) {
            seen.push(`${r.bytesTransferred}/${r.errorCode}/${r.more}${closeReturned ? '/late' : ''}`);
            if (r.bytesTransferred > 0) kept.push((r as AsynchReadMultishotResult).keepBuffer());
          }
          override handleWakeup() {
            void proactor.close();
            closeReturned = true;
          }
        })(proactor);
        streams(h, a, proactor).rs.readMultishot(ring);
        sock.sendNow(peer, Buffer.from('hello'), 0, 5);
        await dispatchUntil(proactor, () => seen.length === 1, 'the first arrival');
        // No buffer left: the kernel ends the read with ENOBUFS, and it parks.
        sock.sendNow(peer, Buffer.from('world'), 0, 5);
        proactor.proactorPostWakeupCompletions(1, h);
        await dispatchUntil(proactor, () => closeReturned, 'close()');
        expect(seen).toEqual(['5//true', '0/ECANCELED/false']);
        expect(() => kept[0].release()).not.toThrow();
      } finally {
        await proactor.close();
      }
    });
  });

  describe('when close() is called from a multishot read\'s own handler', () => {
    it('should leave the handler its result, and deliver the last completion once it returns', async () => {
      const proactor = new Proactor({ backend });
      try {
        if (!proactor.implementation().supports('recvMultishot')) return; // no multishot reads on this kernel
        const hookErrors: unknown[] = [];
        proactor.errorHook = (e) => hookErrors.push(e);
        const ring = proactor.createBufferRing({ count: 4, size: 16 });
        const [a, peer] = socketPair();
        toClose.push(a, peer);
        const seen: string[] = [];
        let after = '';
        let kept: MessageBlock | undefined;
        const h = new (class extends Handler {
          override handleReadStream(r: AsynchReadStreamResult) {
            seen.push(`${r.bytesTransferred}/${r.errorCode}/${r.more}`);
            if (r.bytesTransferred === 0) return;
            void proactor.close();
            after = `${r.bytesTransferred}/${r.success}/${r.more}/${r.messageBlock.data().toString()}`;
            kept = (r as AsynchReadMultishotResult).keepBuffer();
          }
        })(proactor);
        streams(h, a, proactor).rs.readMultishot(ring);
        sock.sendNow(peer, Buffer.from('hello'), 0, 5);
        await dispatchUntil(proactor, () => seen.length === 2, 'the read and its end');
        expect(after).toBe('5/true/true/hello');
        expect(seen).toEqual(['5//true', '0/ECANCELED/false']);
        expect(kept!.data().toString()).toBe('hello');
        kept!.release();
        expect(hookErrors).toEqual([]);
      } finally {
        await proactor.close();
      }
    });
  });

  describe('when the error hook itself throws', () => {
    it('should go on dispatching, and close() should still finish', async () => {
      const proactor = new Proactor({ backend });
      const writes: string[] = [];
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        writes.push(String(chunk));
        return true;
      });
      try {
        proactor.errorHook = () => {
          throw new Error('hook fails');
        };
        let calls = 0;
        const h = new (class extends Handler {
          override handleWakeup() {
            calls++;
            throw new Error('handler fails');
          }
        })(proactor);
        proactor.proactorPostWakeupCompletions(3, h);
        await dispatchUntil(proactor, () => calls === 3, 'three wakeups');
        proactor.proactorPostWakeupCompletions(2, h);
        await proactor.close();
        expect(calls).toBe(5);
        expect(proactor.implementation().isClosed()).toBe(true);
        expect(writes.join('')).toMatch(/the error hook threw: Error: hook fails/);
      } finally {
        stderr.mockRestore();
        await proactor.close();
      }
    });
  });

  describe('when a call-through loop is started, ended and started again', () => {
    it('should start from inside a handler, restart after an end, and switch strategy', async () => {
      const proactor = new Proactor({ backend });
      try {
        let wakeups = 0;
        let restarted: Promise<void> | undefined;
        const h = new (class extends Handler {
          override handleWakeup() {
            wakeups++;
            if (wakeups === 1) {
              proactor.proactorEndEventLoop();
              restarted = proactor.proactorRunEventLoop('call-through');
            }
          }
        })(proactor);
        const first = proactor.proactorRunEventLoop('post-reactive');
        proactor.proactorPostWakeupCompletions(1, h);
        await first;
        await sleep(10);
        expect(restarted).toBeDefined();
        expect(restarted).not.toBe(first);
        proactor.proactorPostWakeupCompletions(1, h);
        await sleep(50);
        expect(wakeups).toBe(2);
        proactor.proactorEndEventLoop();
        await restarted;
        // Ended, then at once the other strategy, then call-through again.
        const post = proactor.proactorRunEventLoop('post-reactive');
        proactor.proactorEndEventLoop();
        await post;
        const again = proactor.proactorRunEventLoop('call-through');
        proactor.proactorPostWakeupCompletions(1, h);
        await sleep(50);
        expect(wakeups).toBe(3);
        proactor.proactorEndEventLoop();
        await again;
      } finally {
        await proactor.close();
      }
    });
  });

  describe("when close() comes from a multishot read's handler with the read's end in the same batch", () => {
    it('should end the read with ECANCELED, not park it on the closed proactor', async () => {
      const proactor = new Proactor({ backend });
      try {
        if (!proactor.implementation().supports('recvMultishot')) return; // no multishot reads on this kernel
        const hookErrors: unknown[] = [];
        proactor.errorHook = (e) => hookErrors.push(e);
        const ring = proactor.createBufferRing({ count: 1, size: 16 });
        const [a, peer] = socketPair();
        toClose.push(a, peer);
        const seen: string[] = [];
        let kept: MessageBlock | undefined;
        const h = new (class extends Handler {
          override handleReadStream(r: AsynchReadStreamResult) {
            seen.push(`${r.bytesTransferred}/${r.errorCode}/${r.more}`);
            if (seen.length === 1) {
              kept = (r as AsynchReadMultishotResult).keepBuffer();
              void proactor.close();
            }
          }
        })(proactor);
        streams(h, a, proactor).rs.readMultishot(ring);
        // 30 bytes, one 16-byte buffer: [16 bytes, more] then ENOBUFS in one batch.
        sock.sendNow(peer, Buffer.alloc(30, 120), 0, 30);
        await sleep(20);
        proactor.handleEvents(200);
        expect(seen).toEqual(['16//true', '0/ECANCELED/false']);
        expect(() => kept!.release()).not.toThrow();
        expect(hookErrors).toEqual([]);
      } finally {
        await proactor.close();
      }
    });
  });

  describe('when a pooled block is given back while a zero-copy send still reads it', () => {
    it('should keep it out of the pool until the kernel lets go', async () => {
      const proactor = new Proactor({ backend, zeroCopySendThreshold: 64 * 1024, bufferPool: { count: 1, size: 8 << 20 } });
      if (!proactor.implementation().supports('sendZc')) {
        await proactor.close();
        return; // no SEND_ZC on this kernel: nothing is held
      }
      const pool = proactor.bufferPool();
      const { server, client } = await tcpPair(proactor);
      const mb = pool.acquire();
      mb.buffer.fill(0x41);
      mb.wrPtr(mb.size());
      let reacquiredHeld: boolean | undefined;
      const h = new (class extends Handler {
        override handleWriteStream(r: AsynchWriteStreamResult) {
          pool.release(r.messageBlock);
          const again = pool.acquire();
          reacquiredHeld = again.isHeldByKernel();
        }
      })(proactor);
      streams(h, server, proactor).ws.write(mb, mb.length());
      for (let i = 0; i < 10; i++) {
        proactor.handleEvents(10);
        await undefined;
      }
      await proactor.close();
      expect(reacquiredHeld).toBe(false);
      sock.close(server);
      sock.close(client);
      const deadline = Date.now() + 3000;
      while (mb.isHeldByKernel() && Date.now() < deadline) await sleep(10);
    });
  });

  describe("when a handle the proactor used is closed with the framework's socket close, and its number comes back", () => {
    it('should serve the new socket on that number', async () => {
      const proactor = new Proactor({ backend });
      try {
        const rec = new Reads(proactor);
        const [a, peer] = socketPair();
        const { rs } = streams(rec, a, proactor);
        rs.read(new MessageBlock(8), 8);
        proactor.handleEvents(0);
        // Closed outside the proactor (SockStream.close() does this): the read ends.
        sock.close(a);
        sock.close(peer);
        await dispatchUntil(proactor, () => rec.seen.length === 1, 'the read on the closed socket');
        const [a2, peer2] = socketPair();
        toClose.push(a2, peer2);
        expect(a2).toBe(a);
        streams(rec, a2, proactor).rs.read(new MessageBlock(8), 8);
        sock.sendNow(peer2, Buffer.from('again'), 0, 5);
        await dispatchUntil(proactor, () => rec.seen.length === 2, 'the read on the new socket', 2000);
        expect(rec.seen[1].text).toBe('again');
      } finally {
        await proactor.close();
      }
    });
  });

  describe('when a worker is terminated with operations in flight and the SQ full', () => {
    it('should cancel them all before the ring goes, so no read lands after, and release every fd', async () => {
      const script = `
        const { parentPort, workerData } = require('node:worker_threads');
        const n = require(workerData.addon);
        const p = new n.Proactor(workerData.backend, { sqEntries: 8 }, new Int32Array(64), () => {});
        const [a, b] = n.socket.pair();
        const keep = [];
        for (let i = 0; i < 8; i++) { const buf = Buffer.alloc(8); keep.push(buf); p.read(i, 1, a, buf, 0, 8, -1); }
        p.submit();
        // Eight more fill the SQ again, four wait behind them.
        for (let i = 8; i < 20; i++) { const buf = Buffer.alloc(8); keep.push(buf); p.read(i, 1, a, buf, 0, 8, -1); }
        parentPort.postMessage({ a, b });
        setInterval(() => {}, 1000);`;
      const addon = nativeAddonPath();
      const w = new Worker(script, { eval: true, workerData: { addon, backend } });
      const fds = await new Promise<{ a: number; b: number }>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      await w.terminate();
      // Nothing reads a any more: what is sent to b stays there for us.
      expect(sock.sendNow(fds.b, Buffer.from('after'), 0, 5)).toBe(5);
      const got = Buffer.alloc(8);
      expect(sock.recvNow(fds.a, got, 0, 8)).toBe(5);
      expect(got.subarray(0, 5).toString()).toBe('after');
      sock.close(fds.a);
      sock.close(fds.b);
    });
  });
});

(onlyOnLinux ? describe.skip : describe)(`when io_uring is refused, as by a container seccomp profile${onlyOnLinux ? ` (skipped: ${onlyOnLinux})` : ''}`, () => {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const { mkdtempSync, rmSync } = require('node:fs') as typeof import('node:fs');
  const { tmpdir } = require('node:os') as typeof import('node:os');
  let dir = '';
  let helper = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ace-seccomp-'));
    helper = join(dir, 'seccomp_no_uring');
    const cc = spawnSync('cc', ['-O2', '-o', helper, join(__dirname, '..', 'support', 'seccomp_no_uring.c')], { encoding: 'utf8' });
    // A C compiler is part of what the set-up needs (node-gyp), so it is here.
    expect(cc.stderr).toBe('');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs script under the filter with the compiled framework (npm test builds it first). */
  const refused = (script: string, env: NodeJS.ProcessEnv = {}) => {
    const dist = JSON.stringify(join(__dirname, '..', '..', 'dist', 'framework'));
    const run = spawnSync(helper, [process.execPath, '-e', `const fw = ${dist}; ${script}`], {
      encoding: 'utf8',
      env: { ...process.env, NODE_DEBUG: '', PROACTOR_BACKEND: '', ...env },
    });
    return { out: run.stdout.trim(), err: run.stderr };
  };

  it('should fall back to epoll by default, echo on it, and say why it passed io_uring over', () => {
    const { out, err } = refused(
      `const { Proactor } = require(fw + '/proactor/Proactor');
       const { loadNative } = require(fw + '/native/loadNative');
       const { Handler } = require(fw + '/proactor/Handler');
       const { AsynchReadStream } = require(fw + '/proactor/AsynchReadStream');
       const { AsynchWriteStream } = require(fw + '/proactor/AsynchWriteStream');
       const { MessageBlock } = require(fw + '/common/MessageBlock');
       const sock = loadNative().socket;
       const p = new Proactor();
       const [a, b] = sock.pair();
       class Echo extends Handler {
         handleReadStream(r) { ws.write(r.messageBlock, r.bytesTransferred); }
         handleWriteStream() { const got = Buffer.alloc(8); while (sock.recvNow(b, got, 0, 8) < 0); console.log(p.backend + ' ' + got.subarray(0, 4)); p.close(); }
       }
       const h = new Echo(p); const rs = new AsynchReadStream(); const ws = new AsynchWriteStream();
       rs.open(h, a, undefined, p); ws.open(h, a, undefined, p);
       rs.read(new MessageBlock(8), 8); sock.sendNow(b, Buffer.from('ping'), 0, 4);
       p.proactorRunEventLoop();`,
      { NODE_DEBUG: 'proactor' },
    );
    expect(out).toBe('epoll ping');
    expect(err).toMatch(/backend uring refused: io_uring_setup: Operation not permitted — io_uring is refused here/);
    expect(err).toMatch(/backend epoll chosen \(the platform default, after uring: io_uring_setup: /);
  });

  it('should try io_uring once per process, not once per Proactor', () => {
    const { out, err } = refused(
      `const { Proactor } = require(fw + '/proactor/Proactor');
       const ps = [new Proactor(), new Proactor(), new Proactor()];
       console.log(ps.map((p) => p.backend).join(','));
       ps.forEach((p) => p.close());`,
      { NODE_DEBUG: 'proactor' },
    );
    expect(out).toBe('epoll,epoll,epoll');
    expect(err.match(/backend uring refused/g)).toHaveLength(1);
    expect(err.match(/backend uring passed over: refused earlier in this process/g)).toHaveLength(2);
  });

  it('should say so once, naming the call, and what to do, when io_uring is asked for by name', () => {
    const { out } = refused(
      `const { Proactor } = require(fw + '/proactor/Proactor');
       try { new Proactor({ backend: 'uring' }); console.log('created'); } catch (e) { console.log(e.kind + '|' + e.message); }`,
    );
    expect(out).toMatch(/^backend-unavailable\|/);
    expect(out.match(/io_uring_setup: /g)).toHaveLength(1);
    expect(out).not.toMatch(/uring: uring:/);
    expect(out).toMatch(/seccomp/);
    expect(out).toMatch(/io_uring_disabled/);
  });

  it('should run the example server unchanged, on epoll', async () => {
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const server = join(__dirname, '..', '..', 'dist', 'applications', 'example_proactor', 'MainServer.js');
    const child = spawn(helper, [process.execPath, server, '--port', '0'], { env: { ...process.env, NODE_DEBUG: 'proactor', PROACTOR_BACKEND: '' } });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}${err}`)));
    });
    const reply = await new Promise<string>((resolve, reject) => {
      const c = connect(port, '127.0.0.1', () => c.write('hello\n'));
      let got = '';
      c.on('data', (d) => {
        got += d;
        if (got.endsWith('\n')) {
          c.end();
          resolve(got);
        }
      });
      c.on('error', reject);
    });
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', resolve);
      child.kill('SIGINT');
    });
    expect(reply).toBe('Echo - hello\n');
    expect(code).toBe(0);
    expect(out).toMatch(/backend epoll/);
    expect(err).toMatch(/backend uring refused/);
  });
});
