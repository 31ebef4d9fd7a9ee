/**
 * Faults on streams, in process, on every backend: a reset while a write
 * is blocked, handlers that throw at every completion, and ten times more
 * operations in one tick than the ring has entries. In each: no crash,
 * every operation completes exactly once, nothing left in flight, no fd
 * leaked (expectNoFdLeaks).
 */
import { MessageBlock } from '../../framework/common/MessageBlock';
import { loadNative } from '../../framework/native/loadNative';
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchWriteStreamResult } from '../../framework/proactor/results/AsynchWriteStreamResult';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks } from '../support/leaks';
import { socketPair, streams } from '../support/streams';
import { tcpPair } from '../support/tcpPair';

const sock = loadNative().socket;
const { SOL_SOCKET, SO_SNDBUF, SO_RCVBUF, SO_LINGER } = sock.constants;

expectNoFdLeaks();

/** Every completion, by the act its operation was started with. */
class Ledger extends Handler {
  readonly reads = new Map<unknown, { success: boolean; error: string; bytes: number }[]>();
  readonly writes = new Map<unknown, { success: boolean; error: string; bytes: number }[]>();
  override handleReadStream(r: AsynchReadStreamResult) {
    this.reads.set(r.act, [...(this.reads.get(r.act) ?? []), { success: r.success, error: r.errorCode, bytes: r.bytesTransferred }]);
  }
  override handleWriteStream(r: AsynchWriteStreamResult) {
    this.writes.set(r.act, [...(this.writes.get(r.act) ?? []), { success: r.success, error: r.errorCode, bytes: r.bytesTransferred }]);
  }
}

/** Dispatches for ms more, so that a duplicate completion would show. */
const quiet = (proactor: Proactor, ms = 100) => {
  const until = Date.now() + ms;
  return dispatchUntil(proactor, () => Date.now() > until, 'a quiet moment');
};

/** Closes the handles through the proactor, dispatching until every close has settled. */
async function closeHandles(proactor: Proactor, handles: number[]): Promise<void> {
  let settled = 0;
  for (const h of handles) void proactor.closeHandle(h).finally(() => settled++);
  await dispatchUntil(proactor, () => settled === handles.length, () => `${handles.length} closes (${settled} settled)`);
}

describe.each(backends)('stream faults on %s', (backend) => {
  let proactor: Proactor;
  const closeAfter: number[] = [];

  afterEach(async () => {
    for (const fd of closeAfter.splice(0)) sock.close(fd);
    await proactor.close();
    expect(proactor.inflight()).toBe(0);
  });

  describe('when the peer resets the connection while a write is blocked on it', () => {
    it('should end the write once, failed, fail the read and the next write, and close cleanly', async () => {
      proactor = new Proactor({ backend });
      const { server, client } = await tcpPair(proactor);
      sock.setOption(server, SOL_SOCKET, SO_SNDBUF, 4096);
      sock.setOption(client, SOL_SOCKET, SO_RCVBUF, 4096);
      const size = 8 * 1024 * 1024;
      let started = 0;
      const writes: { success: boolean; error: string; bytes: number }[] = [];
      const reads: { success: boolean; error: string; bytes: number }[] = [];
      // Writes the block to its end, a short write at a time, as a service does.
      const writer = new (class extends Handler {
        override handleWriteStream(r: AsynchWriteStreamResult) {
          writes.push({ success: r.success, error: r.errorCode, bytes: r.bytesTransferred });
          if (r.success && r.messageBlock.length() > 0) {
            started++;
            io.ws.write(r.messageBlock, r.messageBlock.length());
          }
        }
        override handleReadStream(r: AsynchReadStreamResult) {
          reads.push({ success: r.success, error: r.errorCode, bytes: r.bytesTransferred });
        }
      })(proactor);
      const io = streams(writer, server, proactor);
      started++;
      io.ws.write(MessageBlock.from(Buffer.alloc(size, 0x52)), size);
      io.rs.read(new MessageBlock(64), 64);
      // The peer reads nothing: after the buffers fill, a write waits in flight.
      await quiet(proactor, 300);
      expect(started).toBe(writes.length + 1);
      expect(writes.reduce((n, w) => n + w.bytes, 0)).toBeLessThan(size);
      // SO_LINGER 0, then close: the peer sends RST.
      sock.setOption(client, SOL_SOCKET, SO_LINGER, 0);
      sock.close(client);
      await dispatchUntil(proactor, () => writes.length === started && reads.length === 1, () => `the write and the read after the reset (${writes.length} of ${started} writes, ${reads.length} reads)`);
      const last = writes[writes.length - 1];
      expect(last.success).toBe(false);
      expect(['ECONNRESET', 'EPIPE']).toContain(last.error);
      if (reads[0].success) expect(reads[0].bytes).toBe(0);
      else expect(reads[0].error).toBe('ECONNRESET');

      started++;
      io.ws.write(MessageBlock.from(Buffer.from('after')), 5);
      await dispatchUntil(proactor, () => writes.length === started, 'the write after the reset');
      expect(writes[writes.length - 1].success).toBe(false);
      expect(['ECONNRESET', 'EPIPE']).toContain(writes[writes.length - 1].error);

      await closeHandles(proactor, [server]);
      await quiet(proactor);
      // Exactly once: as many completions as initiations, and no more.
      expect(writes).toHaveLength(started);
      expect(reads).toHaveLength(1);
      expect(proactor.inflight()).toBe(0);
    });
  });

  describe('when every completion handler throws', () => {
    it('should report each throw once, go on echoing, and close with nothing in flight', async () => {
      proactor = new Proactor({ backend });
      const thrown: string[] = [];
      proactor.errorHook = (e) => thrown.push((e as Error).message);
      const PAIRS = 16;
      const ROUNDS = 40;
      let reads = 0;
      let writes = 0;
      let calls = 0;
      const ticks: number[] = [];
      /** Echoes each read back, then reads again; throws after every step. */
      class Thrower extends Handler {
        readonly mb = new MessageBlock(64);
        override handleReadStream(r: AsynchReadStreamResult) {
          calls++;
          if (r.success && r.bytesTransferred > 0) {
            writes++;
            this.io.ws.write(r.messageBlock, r.messageBlock.length());
          }
          throw new Error(`read ${calls}`);
        }
        override handleWriteStream(r: AsynchWriteStreamResult) {
          calls++;
          if (r.success) {
            r.messageBlock.reset();
            reads++;
            this.io.rs.read(r.messageBlock, r.messageBlock.space());
          }
          throw new Error(`write ${calls}`);
        }
        override handleTimeOut(_time: number, act: unknown) {
          calls++;
          ticks.push(act as number);
          throw new Error(`tick ${calls}`);
        }
        io!: ReturnType<typeof streams>;
      }
      const pairs = Array.from({ length: PAIRS }, socketPair);
      const throwers = pairs.map(([a]) => {
        const t = new Thrower(proactor);
        t.io = streams(t, a, proactor);
        reads++;
        t.io.rs.read(t.mb, t.mb.space());
        return t;
      });
      const timer = proactor.scheduleTimer(throwers[0], 7, 5, 5);
      const buf = Buffer.alloc(64);
      for (let round = 0; round < ROUNDS; round++) {
        pairs.forEach(([, b], i) => sock.sendNow(b, Buffer.from(`${i}.${round}`), 0, `${i}.${round}`.length));
        const echoed = new Array<string>(PAIRS).fill('');
        await dispatchUntil(
          proactor,
          () => pairs.every(([, b], i) => {
            const n = sock.recvNow(b, buf, 0, buf.length);
            if (n > 0) echoed[i] += buf.subarray(0, n).toString();
            return echoed[i].length >= `${i}.${round}`.length;
          }),
          `round ${round}'s echoes`,
        );
        echoed.forEach((e, i) => expect(e).toBe(`${i}.${round}`));
      }
      expect(proactor.cancelTimer(timer)).toBe(1);
      await closeHandles(proactor, pairs.map(([a]) => a));
      await quiet(proactor);
      for (const [, b] of pairs) sock.close(b);
      // Every read and write started completed once (the last reads by the
      // close, ECANCELED); every completion's throw reached the hook once.
      expect(calls).toBe(reads + writes + ticks.length);
      expect(thrown).toHaveLength(calls);
      expect(new Set(thrown).size).toBe(calls);
      expect(ticks.length).toBeGreaterThan(0);
      expect(proactor.inflight()).toBe(0);
    });
  });

  describe('when ten times more operations than the ring has entries start in one tick', () => {
    it('should queue the rest in user space and complete each exactly once, data intact', async () => {
      const ENTRIES = 8;
      proactor = new Proactor({ backend, sqEntries: ENTRIES });
      const PAIRS = (10 * ENTRIES) / 2;
      const pairs = Array.from({ length: PAIRS }, socketPair);
      for (const [a, b] of pairs) closeAfter.push(a, b);
      const ledger = new Ledger(proactor);
      const blocks = new Map<number, MessageBlock>();
      // One read and one write per pair: 10 × ENTRIES operations, one tick.
      pairs.forEach(([a, b], i) => {
        const into = new MessageBlock(32);
        blocks.set(i, into);
        streams(ledger, a, proactor).rs.read(into, 32, i);
        const text = `message ${i}`;
        streams(ledger, b, proactor).ws.write(MessageBlock.from(Buffer.from(text)), text.length, i);
      });
      await dispatchUntil(proactor, () => ledger.reads.size === PAIRS && ledger.writes.size === PAIRS, () => `${PAIRS} reads and writes (${ledger.reads.size}, ${ledger.writes.size})`);
      await quiet(proactor);
      for (let i = 0; i < PAIRS; i++) {
        expect(ledger.writes.get(i)).toEqual([{ success: true, error: '', bytes: `message ${i}`.length }]);
        expect(ledger.reads.get(i)).toHaveLength(1);
        expect(blocks.get(i)!.data().toString()).toBe(`message ${i}`);
      }
      expect(proactor.inflight()).toBe(0);
    });
  });
});
