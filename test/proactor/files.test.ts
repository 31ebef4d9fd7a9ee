import { closeSync, constants, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { AsynchReadFile } from '../../framework/proactor/AsynchReadFile';
import { AsynchWriteFile } from '../../framework/proactor/AsynchWriteFile';
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { type AsynchReadFileResult } from '../../framework/proactor/results/AsynchReadFileResult';
import { type AsynchWriteFileResult } from '../../framework/proactor/results/AsynchWriteFileResult';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks } from '../support/leaks';

expectNoFdLeaks();

/** Keeps every file result it is handed. */
class Files extends Handler {
  readonly reads: AsynchReadFileResult[] = [];
  readonly writes: AsynchWriteFileResult[] = [];
  override handleReadFile(r: AsynchReadFileResult) {
    this.reads.push(r);
  }
  override handleWriteFile(r: AsynchWriteFileResult) {
    this.writes.push(r);
  }
}

const FIVE_GIB = 5 * 1024 * 1024 * 1024;

describe.each(backends)('AsynchReadFile and AsynchWriteFile on %s', (backend) => {
  let proactor: Proactor;
  let dir: string;
  let fd = -1;
  let h: Files;
  let rf: AsynchReadFile;
  let wf: AsynchWriteFile;

  beforeEach(() => {
    proactor = new Proactor({ backend });
    dir = mkdtempSync(join(tmpdir(), 'ace-files-'));
    fd = openSync(join(dir, 'data'), 'w+');
    h = new Files(proactor);
    rf = new AsynchReadFile();
    wf = new AsynchWriteFile();
    rf.open(h, fd, undefined, proactor);
    wf.open(h, fd, undefined, proactor);
  });

  afterEach(async () => {
    await proactor.close();
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('should write and read at offsets, leaving the file position alone', async () => {
    writeSync(fd, 'head');
    const frames = [0, 16, 48].map((at) => ({ at, mb: MessageBlock.from(`frame@${at}`.padEnd(16, '.')) }));
    frames.forEach(({ at, mb }) => wf.write(mb, mb.length(), at, at));
    await dispatchUntil(proactor, () => h.writes.length === 3, 'three writes');
    expect(h.writes.map((w) => [w.success, w.bytesTransferred, w.offset, w.act])).toEqual(frames.map(({ at }) => [true, 16, at, at]));
    // The fd's own position is still 4, where writeSync left it: 'tail'
    // lands inside the first frame, which overwrote 'head'.
    writeSync(fd, 'tail');
    const got = Buffer.alloc(8);
    expect(readSync(fd, got, 0, 8, 0)).toBe(8);
    expect(got.toString()).toBe('framtail');

    const mb = new MessageBlock(16);
    rf.read(mb, 16, 16);
    await dispatchUntil(proactor, () => h.reads.length === 1, 'the read');
    expect(h.reads[0].success).toBe(true);
    expect(mb.data().toString()).toBe('frame@16........');
    // Past the end: success of 0 bytes.
    rf.read(new MessageBlock(8), 8, 4096);
    await dispatchUntil(proactor, () => h.reads.length === 2, 'the read past the end');
    expect([h.reads[1].success, h.reads[1].bytesTransferred]).toEqual([true, 0]);
  });

  it('should reach offsets past 4 GiB, with ACE offsetHigh', async () => {
    ftruncateSync(fd, FIVE_GIB + 64);
    const mb = MessageBlock.from('beyond four gigabytes');
    wf.write(mb, mb.length(), FIVE_GIB);
    await dispatchUntil(proactor, () => h.writes.length === 1, 'the write');
    expect(h.writes[0].success).toBe(true);
    expect(h.writes[0].offset).toBe(FIVE_GIB);
    expect(h.writes[0].offsetHigh).toBe(1);
    const back = new MessageBlock(21);
    rf.read(back, 21, FIVE_GIB);
    await dispatchUntil(proactor, () => h.reads.length === 1, 'the read');
    expect(back.data().toString()).toBe('beyond four gigabytes');
    expect(h.reads[0].offsetHigh).toBe(1);
    expect(statSync(join(dir, 'data')).size).toBe(FIVE_GIB + 64);
  });

  it('should scatter and gather over message block chains at an offset', async () => {
    const a = MessageBlock.from('abc');
    a.cont = MessageBlock.from('defgh');
    a.cont.cont = MessageBlock.from('ij');
    wf.writev(a, 10, 100);
    await dispatchUntil(proactor, () => h.writes.length === 1, 'the writev');
    expect(h.writes[0].bytesTransferred).toBe(10);
    const x = new MessageBlock(4);
    x.cont = new MessageBlock(6);
    rf.readv(x, 10, 100);
    await dispatchUntil(proactor, () => h.reads.length === 1, 'the readv');
    expect(`${x.data()}|${x.cont.data()}`).toBe('abcd|efghij');
  });

  it('should report a failed read in its result, and refuse a bad offset at initiation', async () => {
    expect(() => rf.read(new MessageBlock(4), 4, -1)).toThrow(/file offset/);
    expect(() => rf.read(new MessageBlock(4), 4, 2 ** 53)).toThrow(/file offset/);
    const wo = openSync(join(dir, 'write-only'), 'w');
    const r2 = new AsynchReadFile();
    r2.open(h, wo, undefined, proactor);
    r2.read(new MessageBlock(4), 4, 0);
    await dispatchUntil(proactor, () => h.reads.length === 1, 'the failed read');
    closeSync(wo);
    expect([h.reads[0].success, h.reads[0].errorCode]).toEqual([false, 'EBADF']);
  });

  it('should read and write O_DIRECT files through the buffer pool (registered on io_uring)', async () => {
    const path = join(dir, 'direct');
    let direct = -1;
    try {
      direct = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_DIRECT);
    } catch (e) {
      // A file system without O_DIRECT (tmpfs) says EINVAL: nothing to test there.
      if ((e as NodeJS.ErrnoException).code === 'EINVAL') return;
      throw e;
    }
    try {
      const r = new AsynchReadFile();
      const w = new AsynchWriteFile();
      r.open(h, direct, undefined, proactor);
      w.open(h, direct, undefined, proactor);
      const out = proactor.bufferPool().acquire();
      out.copy(Buffer.alloc(4096, 'z'));
      w.write(out, 4096, 8192);
      await dispatchUntil(proactor, () => h.writes.length === 1, 'the O_DIRECT write');
      expect([h.writes[0].success, h.writes[0].errorCode, h.writes[0].bytesTransferred]).toEqual([true, '', 4096]);
      const back = proactor.bufferPool().acquire();
      r.read(back, 4096, 8192);
      await dispatchUntil(proactor, () => h.reads.length === 1, 'the O_DIRECT read');
      expect([h.reads[0].success, h.reads[0].errorCode, h.reads[0].bytesTransferred]).toEqual([true, '', 4096]);
      expect(back.data().equals(Buffer.alloc(4096, 'z'))).toBe(true);
      out.release();
      back.release();
    } finally {
      closeSync(direct);
    }
  });
});

