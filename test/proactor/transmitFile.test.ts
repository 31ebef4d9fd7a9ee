import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Handle } from '../../framework/common/Handle';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { ProactorError } from '../../framework/common/ProactorError';
import { loadNative } from '../../framework/native/loadNative';
import { AsynchTransmitFile, HeaderAndTrailer } from '../../framework/proactor/AsynchTransmitFile';
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { backends, gap } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks } from '../support/leaks';
import { tcpPair } from '../support/tcpPair';
import { openPipes, someBytes, TransmitEnds } from '../support/transmitFiles';

const sock = loadNative().socket;
const { SOL_SOCKET, SO_SNDBUF, SO_RCVBUF, SO_LINGER } = sock.constants;
const GIB = 1024 * 1024 * 1024;

// Outermost, so its check runs after each test's own clean-up.
expectNoFdLeaks();

/** Dispatches for ms, whatever happens (a receiver that does not read yet). */
function idle(proactor: Proactor, ms: number): Promise<void> {
  const until = Date.now() + ms;
  return dispatchUntil(proactor, () => Date.now() >= until, `${ms} ms`);
}

describe.each(backends)('%s', (backend) => {
  const why = gap(backend, 'sendfile');
  if (why) {
    it.skip(`AsynchTransmitFile (skipped: ${why})`, () => undefined);
    return;
  }
  let proactor: Proactor;
  let dir: string;
  const fds: number[] = [];
  const sockets: Handle[] = [];

  beforeEach(() => {
    proactor = new Proactor({ backend });
    dir = mkdtempSync(join(tmpdir(), 'ace-transmit-'));
  });

  afterEach(async () => {
    await proactor.close();
    expect(proactor.inflight()).toBe(0);
    for (const s of sockets.splice(0)) sock.close(s);
    for (const fd of fds.splice(0)) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A file holding data (or, given a number, that many bytes of a sparse file), open for reading. */
  function file(data: Buffer | number, name = 'f'): number {
    const path = join(dir, name);
    if (typeof data === 'number') {
      writeFileSync(path, '');
      const w = openSync(path, 'r+');
      ftruncateSync(w, data);
      closeSync(w);
    } else {
      writeFileSync(path, data);
    }
    const fd = openSync(path, 'r');
    fds.push(fd);
    return fd;
  }

  async function ends(keep = true, blockSize = 65536): Promise<TransmitEnds> {
    const { server, client } = await tcpPair(proactor);
    sockets.push(server, client);
    return new TransmitEnds(proactor, server, client, keep, blockSize);
  }

  async function untilDone(e: TransmitEnds, what = 'the transmit-file and EOF', limitMs = 20000): Promise<void> {
    await dispatchUntil(proactor, () => e.transmits.length === 1 && e.end !== undefined, () => `${what} (${e.transmits.length} completions, ${e.received} bytes received)`, limitMs);
  }

  describe('when header, file and trailer are sent', () => {
    it('should deliver them byte-exact and complete once with their total', async () => {
      const data = someBytes(300_000);
      const fd = file(data);
      const e = await ends();
      const header = MessageBlock.from('HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n');
      const trailer = MessageBlock.from('--end--');
      const headerBytes = header.length();
      const ht = new HeaderAndTrailer(header, undefined, trailer);
      const act = { request: 7 };
      e.startReading();
      e.tf.transmitFile(fd, ht, 0, 0, 0, act);
      await untilDone(e);
      const r = e.transmits[0];
      expect(e.bytes().equals(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n'), data, Buffer.from('--end--')]))).toBe(true);
      expect([r.success, r.errorCode, r.bytesTransferred]).toEqual([true, '', headerBytes + 300_000 + 7]);
      expect([r.socket(), r.file(), r.headerAndTrailer(), r.bytesToWrite(), r.bytesPerSend(), r.offset, r.offsetHigh, r.flags(), r.act]).toEqual([
        e.sender, fd, ht, 0, 0, 0, 0, 0, act,
      ]);
      // As a write's, the blocks' rdPtr moved past what was sent.
      expect([header.length(), trailer.length()]).toEqual([0, 0]);
    });

    it.each([
      ['a header only', 'HEAD', null],
      ['a trailer only', null, 'TAIL'],
      ['neither', null, null],
    ])('should send the file with %s', async (_what, head, tail) => {
      const data = someBytes(70_001);
      const fd = file(data);
      const e = await ends();
      const ht = head === null && tail === null ? null : new HeaderAndTrailer(head === null ? null : MessageBlock.from(head), undefined, tail === null ? null : MessageBlock.from(tail));
      e.startReading();
      e.tf.transmitFile(fd, ht);
      await untilDone(e);
      const want = Buffer.concat([Buffer.from(head ?? ''), data, Buffer.from(tail ?? '')]);
      expect(e.bytes().equals(want)).toBe(true);
      expect([e.transmits[0].success, e.transmits[0].bytesTransferred]).toEqual([true, want.length]);
    });

    it('should send only header and trailer for an empty file, and complete once when there is nothing at all', async () => {
      const fd = file(Buffer.alloc(0));
      const e = await ends();
      e.shutdownAfter = false;
      e.startReading();
      e.tf.transmitFile(fd, new HeaderAndTrailer(MessageBlock.from('H'), 1, MessageBlock.from('T'), 1));
      await dispatchUntil(proactor, () => e.transmits.length === 1 && e.received === 2, 'header and trailer');
      expect(e.bytes().toString()).toBe('HT');
      e.shutdownAfter = true;
      e.tf.transmitFile(fd, null);
      await dispatchUntil(proactor, () => e.transmits.length === 2 && e.end !== undefined, 'the empty transmit-file and EOF');
      await idle(proactor, 20);
      expect(e.transmits.map((r) => [r.success, r.bytesTransferred])).toEqual([[true, 2], [true, 0]]);
    });

    it('should send only headerBytes and trailerBytes of the blocks', async () => {
      const fd = file(Buffer.from('body'));
      const e = await ends();
      e.startReading();
      e.tf.transmitFile(fd, new HeaderAndTrailer(MessageBlock.from('HEADxxx'), 4, MessageBlock.from('TAILyyy'), 4));
      await untilDone(e);
      expect(e.bytes().toString()).toBe('HEADbodyTAIL');
    });
  });

  describe('when a window of the file is asked for', () => {
    const data = someBytes(200_000);
    it.each([
      ['bytesToWrite from 0', 0, 5000, 0, 5000],
      ['an offset to the end (bytesToWrite 0)', 123_457, 0, 123_457, 200_000],
      ['an offset and bytesToWrite', 65_537, 70_000, 65_537, 135_537],
      ['bytesToWrite past the end (stops at the end)', 190_000, 50_000, 190_000, 200_000],
      ['an offset past the end (nothing of the file)', 300_000, 0, 0, 0],
    ])('should send %s', async (_what, offset, bytesToWrite, from, to) => {
      const fd = file(data);
      const e = await ends();
      e.startReading();
      e.tf.transmitFile(fd, new HeaderAndTrailer(MessageBlock.from('<'), undefined, MessageBlock.from('>')), bytesToWrite, offset);
      await untilDone(e);
      expect(e.bytes().equals(Buffer.concat([Buffer.from('<'), data.subarray(from, to), Buffer.from('>')]))).toBe(true);
      expect([e.transmits[0].success, e.transmits[0].bytesTransferred, e.transmits[0].offset]).toEqual([true, to - from + 2, offset]);
    });

    it('should chunk by bytesPerSend and still deliver every byte in order', async () => {
      const fd = file(data);
      const e = await ends();
      e.startReading();
      e.tf.transmitFile(fd, null, 150_001, 7, 4099);
      await untilDone(e);
      expect(e.bytes().equals(data.subarray(7, 150_008))).toBe(true);
      expect(e.transmits[0].bytesPerSend()).toBe(4099);
    });

    it('should reach offsets past 2 GiB in a sparse file, with ACE offsetHigh', async () => {
      const at = 4.5 * GIB + 3;
      const fd = file(5 * GIB);
      const marker = someBytes(100_000);
      const w = openSync(join(dir, 'f'), 'r+');
      writeSync(w, marker, 0, marker.length, at);
      closeSync(w);
      const e = await ends();
      e.startReading();
      e.tf.transmitFile(fd, null, marker.length + 10, at);
      await untilDone(e);
      expect(e.bytes().equals(Buffer.concat([marker, Buffer.alloc(10)]))).toBe(true);
      expect([e.transmits[0].success, e.transmits[0].offset, e.transmits[0].offsetHigh]).toEqual([true, at, 1]);
    });
  });

  describe('when the receiver is slow', () => {
    it('should wait out full socket buffers and short sends, and deliver everything', async () => {
      const data = someBytes(3 * 1024 * 1024 + 11);
      const fd = file(data);
      const e = await ends(true, 1500);
      sock.setOption(e.sender, SOL_SOCKET, SO_SNDBUF, 16384);
      sock.setOption(e.receiver, SOL_SOCKET, SO_RCVBUF, 16384);
      e.tf.transmitFile(fd, new HeaderAndTrailer(MessageBlock.from('['), undefined, MessageBlock.from(']')));
      // Nobody reads for a while: the sender fills its buffers and waits.
      await idle(proactor, 150);
      expect(e.transmits).toHaveLength(0);
      e.startReading();
      await untilDone(e, 'the slow transfer', 25000);
      expect(e.bytes().equals(Buffer.concat([Buffer.from('['), data, Buffer.from(']')]))).toBe(true);
      expect(e.transmits[0].bytesTransferred).toBe(data.length + 2);
    });
  });

  describe('when the transfer is stopped', () => {
    it('should fail with the reset when the peer resets mid-transfer, saying how far it got', async () => {
      const fd = file(64 * 1024 * 1024);
      const e = await ends();
      e.tf.transmitFile(fd, new HeaderAndTrailer(MessageBlock.from('HEAD')));
      await idle(proactor, 100);
      expect(e.transmits).toHaveLength(0);
      sock.setOption(e.receiver, SOL_SOCKET, SO_LINGER, 0);
      sock.close(sockets.splice(sockets.indexOf(e.receiver), 1)[0]);
      await dispatchUntil(proactor, () => e.transmits.length === 1, 'the failed transfer');
      await idle(proactor, 30);
      const r = e.transmits;
      expect(r).toHaveLength(1);
      expect(r[0].success).toBe(false);
      expect(['ECONNRESET', 'EPIPE']).toContain(r[0].errorCode);
      expect(r[0].bytesTransferred).toBeGreaterThan(4);
      expect(r[0].bytesTransferred).toBeLessThan(64 * 1024 * 1024 + 4);
    });

    it('should complete a cancelled transfer once, with ECANCELED and the count of every byte the peer gets', async () => {
      const fd = file(64 * 1024 * 1024);
      const e = await ends();
      e.tf.transmitFile(fd, new HeaderAndTrailer(MessageBlock.from('HEAD')));
      await idle(proactor, 100);
      expect(e.tf.cancel()).toBe(0);
      await dispatchUntil(proactor, () => e.transmits.length === 1, 'the cancelled transfer');
      await idle(proactor, 30);
      expect(e.transmits.map((r) => [r.success, r.errorCode])).toEqual([[false, 'ECANCELED']]);
      expect(e.tf.cancel()).toBe(1);
      // The sender is shut down: what the peer reads to EOF is all it sent.
      e.startReading();
      await dispatchUntil(proactor, () => e.end !== undefined, 'EOF after the cancel');
      expect(e.transmits[0].bytesTransferred).toBeGreaterThan(4);
      expect(e.received).toBe(e.transmits[0].bytesTransferred);
    });

    it('should reject the Promise form with an AbortError when its signal aborts', async () => {
      const fd = file(64 * 1024 * 1024);
      const e = await ends();
      const abort = new AbortController();
      const p = e.tf.transmitFileAsync(fd, null, 0, 0, 0, { signal: abort.signal });
      let outcome: unknown;
      p.then((r) => (outcome = r), (err: unknown) => (outcome = err));
      await idle(proactor, 50);
      abort.abort('enough');
      await dispatchUntil(proactor, () => outcome !== undefined, 'the aborted transfer');
      expect((outcome as Error).name).toBe('AbortError');
      expect(((outcome as Error).cause as { errorCode: string }).errorCode).toBe('ECANCELED');
    });

    it('should resolve the Promise form with the result', async () => {
      const data = someBytes(10_000);
      const fd = file(data);
      const e = await ends();
      e.shutdownAfter = false;
      e.startReading();
      let result: { success: boolean; bytesTransferred: number } | undefined;
      void e.tf.transmitFileAsync(fd, new HeaderAndTrailer(MessageBlock.from('x')), 0, 0, 0, { act: 1 }).then((r) => (result = r));
      await dispatchUntil(proactor, () => result !== undefined && e.received === 10_001, 'the transfer');
      expect([result!.success, result!.bytesTransferred]).toEqual([true, 10_001]);
      expect(e.transmits).toHaveLength(0);
    });

    it('should complete with ECANCELED when its socket is closed through the proactor', async () => {
      const fd = file(64 * 1024 * 1024);
      const e = await ends();
      e.shutdownAfter = false;
      e.tf.transmitFile(fd, null);
      await idle(proactor, 100);
      const closed = proactor.closeHandle(sockets.splice(sockets.indexOf(e.sender), 1)[0]);
      await dispatchUntil(proactor, () => e.transmits.length === 1, 'the transfer on the closed socket');
      await closed;
      await idle(proactor, 30);
      expect(e.transmits.map((r) => [r.success, r.errorCode])).toEqual([[false, 'ECANCELED']]);
    });

    it('should complete with ECANCELED when the proactor closes mid-transfer', async () => {
      const fd = file(64 * 1024 * 1024);
      const e = await ends();
      e.shutdownAfter = false;
      e.tf.transmitFile(fd, null);
      await idle(proactor, 100);
      await proactor.close();
      expect(e.transmits.map((r) => [r.success, r.errorCode])).toEqual([[false, 'ECANCELED']]);
    });
  });

  describe('when the kernel cancels one operation at a time (before 5.19)', () => {
    const why = backend === 'uring' ? '' : ` (an io_uring mode: the ${backend} backend cancels in user space)`;
    (backend === 'uring' ? it : it.skip)(`should still stop transfers at cancel(), closeHandle and close()${why}`, async () => {
      const legacy = new Proactor({ backend, legacyCancel: true, sqEntries: 8 });
      try {
        expect(legacy.implementation().describe()).toMatch(/cancel by token/);
        const fd = file(64 * 1024 * 1024);
        const pairs: TransmitEnds[] = [];
        for (let i = 0; i < 3; i++) {
          const { server, client } = await tcpPair(legacy);
          sockets.push(client);
          if (i < 2) sockets.push(server);
          const e = new TransmitEnds(legacy, server, client);
          e.shutdownAfter = false;
          e.tf.transmitFile(fd, null);
          pairs.push(e);
        }
        await idle(legacy, 100);
        expect(pairs[0].tf.cancel()).toBe(0);
        await dispatchUntil(legacy, () => pairs[0].transmits.length === 1, 'the cancelled transfer');
        let closed = false;
        void legacy.closeHandle(pairs[2].sender).then(() => (closed = true));
        await dispatchUntil(legacy, () => closed && pairs[2].transmits.length === 1, 'the transfer on the closed socket');
        expect(pairs[1].transmits).toHaveLength(0);
        await legacy.close();
        expect(pairs.map((e) => e.transmits.map((r) => r.errorCode))).toEqual([['ECANCELED'], ['ECANCELED'], ['ECANCELED']]);
      } finally {
        await legacy.close();
      }
    });
  });

  describe('when given bad input', () => {
    it('should throw ProactorError for a handle that is no open regular file, and start nothing', async () => {
      const e = await ends();
      const closedFd = openSync(join(dir, 'gone'), 'w');
      closeSync(closedFd);
      expect(() => e.tf.transmitFile(-1, null)).toThrow(ProactorError);
      const bad = (() => {
        try {
          e.tf.transmitFile(closedFd, null, 10);
        } catch (err) {
          return err;
        }
      })() as ProactorError;
      expect([bad.kind, bad.code]).toEqual(['invalid-argument', 'EBADF']);
      // On win32 a socket's number is no C runtime file descriptor at all.
      expect(() => e.tf.transmitFile(e.receiver, null)).toThrow(process.platform === 'win32' ? /: EBADF/ : /not a regular file/);
      const fd = file(Buffer.from('x'));
      expect(() => e.tf.transmitFile(fd, null, -1)).toThrow(ProactorError);
      expect(() => e.tf.transmitFile(fd, null, 0, -5)).toThrow(ProactorError);
      expect(() => e.tf.transmitFile(fd, null, 0, 0, 1.5)).toThrow(ProactorError);
      expect(() => new HeaderAndTrailer(MessageBlock.from('ab'), 3)).toThrow(/headerBytes 3/);
      expect(() => new AsynchTransmitFile().transmitFile(fd, null)).toThrow(/not open/);
      expect(proactor.inflight()).toBe(0);
    });

    it('should fail the result when the socket is not connected', async () => {
      const fd = file(Buffer.from('some bytes'));
      const s = sock.open(sock.constants.AF_INET, sock.constants.SOCK_STREAM, 0);
      sockets.push(s);
      const results: { success: boolean; errorCode: string }[] = [];
      const h = new (class extends Handler {
        override handleTransmitFile(r: { success: boolean; errorCode: string }) {
          results.push({ success: r.success, errorCode: r.errorCode });
        }
      })(proactor);
      const tf = new AsynchTransmitFile();
      tf.open(h, s, undefined, proactor);
      tf.transmitFile(fd, null);
      await dispatchUntil(proactor, () => results.length === 1, 'the failure');
      expect(results[0].success).toBe(false);
      expect(['ENOTCONN', 'EPIPE']).toContain(results[0].errorCode);
    });
  });

  describe('when many transfers run', () => {
    it('should keep no pipe open beyond the proactor and leak no fd', async () => {
      const pipesBefore = openPipes();
      const data = someBytes(100_000);
      const fd = file(data);
      const pairs: TransmitEnds[] = [];
      for (let i = 0; i < 12; i++) pairs.push(await ends());
      for (const e of pairs) {
        e.startReading();
        e.tf.transmitFile(fd, null, 0, 0, 8192);
      }
      await dispatchUntil(proactor, () => pairs.every((e) => e.transmits.length === 1 && e.end !== undefined), 'twelve transfers');
      for (const e of pairs) expect(e.bytes().equals(data)).toBe(true);
      // A backend may keep a few idle pipes for the next transfer; no more.
      expect(openPipes() - pipesBefore).toBeLessThanOrEqual(16);
      await proactor.close();
      expect(openPipes()).toBe(pipesBefore);
    });
  });

  it('should send a 100 MiB file byte for byte within seconds', async () => {
    const data = someBytes(100 * 1024 * 1024);
    const fd = file(data);
    const want = createHash('sha256').update('HEAD').update(data).update('TAIL').digest('hex');
    const e = await ends(false, 256 * 1024);
    e.startReading();
    const t0 = Date.now();
    e.tf.transmitFile(fd, new HeaderAndTrailer(MessageBlock.from('HEAD'), undefined, MessageBlock.from('TAIL')));
    await untilDone(e, 'the 100 MiB transfer', 30000);
    expect(e.transmits[0].success).toBe(true);
    expect([e.received, e.transmits[0].bytesTransferred]).toEqual([data.length + 8, data.length + 8]);
    expect(e.digest()).toBe(want);
    expect(Date.now() - t0).toBeLessThan(20000);
  }, 60000);
});
