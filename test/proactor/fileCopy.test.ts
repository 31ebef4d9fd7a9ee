/**
 * A 100 MiB file copied with AsynchReadFile and AsynchWriteFile — each
 * block read at its offset, then written at the same offset in the copy,
 * four blocks in flight — and checked byte for byte, on every backend.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
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

const SIZE = 100 * 1024 * 1024;
const BLOCK = 1024 * 1024;
const IN_FLIGHT = 4;

/** Reads block k of the source, writes it at the same offset of the copy, then takes the next block not yet started. */
class Copier extends Handler {
  private readonly rf = new AsynchReadFile();
  private readonly wf = new AsynchWriteFile();
  private next = 0;
  copied = 0;
  failures: string[] = [];

  constructor(proactor: Proactor, source: number, target: number) {
    super(proactor);
    this.rf.open(this, source, undefined, proactor);
    this.wf.open(this, target, undefined, proactor);
  }

  start(): void {
    for (let i = 0; i < IN_FLIGHT; i++) this.readNext(new MessageBlock(BLOCK));
  }

  done(): boolean {
    return this.copied === SIZE || this.failures.length > 0;
  }

  private readNext(mb: MessageBlock): void {
    if (this.next >= SIZE) return;
    const offset = this.next;
    this.next += BLOCK;
    mb.reset();
    this.rf.read(mb, Math.min(BLOCK, SIZE - offset), offset, offset);
  }

  override handleReadFile(r: AsynchReadFileResult): void {
    if (!r.success || r.bytesTransferred === 0) return void this.failures.push(`read at ${r.act}: ${r.errorCode ?? 'end of file'}`);
    // A short read (a file may give less than asked) is written as it is, and the rest read again.
    const offset = r.act as number;
    this.wf.write(r.messageBlock, r.bytesTransferred, offset, { offset, asked: r.bytesToRead });
  }

  override handleWriteFile(r: AsynchWriteFileResult): void {
    const { offset, asked } = r.act as { offset: number; asked: number };
    if (!r.success) return void this.failures.push(`write at ${offset}: ${r.errorCode}`);
    const written = r.bytesTransferred;
    this.copied += written;
    const mb = r.messageBlock;
    // A short write: the rest of the block, at the offset it belongs at.
    if (mb.length() > 0) return this.wf.write(mb, mb.length(), offset + written, { offset: offset + written, asked: asked - written });
    // A short read before it: read the rest of the region this block copies.
    if (asked > written) {
      mb.reset();
      return this.rf.read(mb, asked - written, offset + written, offset + written);
    }
    this.readNext(mb);
  }
}

describe.each(backends)('a 100 MiB file copied with AsynchReadFile and AsynchWriteFile on %s', (backend) => {
  let dir: string;
  let source: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ace-copy-'));
    source = join(dir, 'source');
    const fd = openSync(source, 'w');
    const chunk = Buffer.alloc(BLOCK);
    for (let written = 0; written < SIZE; written += BLOCK) writeSync(fd, randomFillSync(chunk));
    closeSync(fd);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should produce a byte-for-byte copy', async () => {
    const proactor = new Proactor({ backend });
    const target = join(dir, `copy-${backend}`);
    const from = openSync(source, 'r');
    const to = openSync(target, 'w');
    try {
      const copier = new Copier(proactor, from, to);
      copier.start();
      await dispatchUntil(proactor, () => copier.done(), () => `${copier.copied} of ${SIZE} bytes copied`, 60_000);
      expect(copier.failures).toEqual([]);
      expect(copier.copied).toBe(SIZE);
      expect(proactor.inflight()).toBe(0);
    } finally {
      await proactor.close();
      closeSync(from);
      closeSync(to);
    }
    expect(statSync(target).size).toBe(SIZE);
    const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
    expect(digest(target)).toBe(digest(source));
    rmSync(target);
  }, 120_000);
});
