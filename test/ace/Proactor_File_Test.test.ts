/**
 * ACE's tests/Proactor_File_Test.cpp, ported: a repeating timer writes 16
 * frames of 16 bytes at offsets k × 16; as each write completes, a read of
 * the same frame is chained and checks it; the loop ends once 256 bytes
 * are written and read back.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
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
import { expectNoFdLeaks } from '../support/leaks';

expectNoFdLeaks();

const FRAME = 16;
const FRAMES = 16;

/** The k-th frame: 16 bytes that say which frame they are. */
const frame = (k: number) => `frame ${String(k).padStart(2, '0')} of 16`.padEnd(FRAME, '.');

/** ACE's File_Handler: writes a frame per tick, reads each back once written, ends at the last. */
class FileHandler extends Handler {
  readonly rf = new AsynchReadFile();
  readonly wf = new AsynchWriteFile();
  written = 0;
  verified = 0;
  readonly mismatches: string[] = [];
  private timer = 0;

  constructor(
    private readonly p: Proactor,
    fd: number,
  ) {
    super(p);
    this.rf.open(this, fd, undefined, p);
    this.wf.open(this, fd, undefined, p);
  }

  start(): void {
    this.timer = this.p.scheduleRepeatingTimer(this, undefined, 2);
  }

  override handleTimeOut() {
    const k = this.written++;
    const mb = MessageBlock.from(frame(k));
    this.wf.write(mb, FRAME, k * FRAME, k);
    if (this.written === FRAMES) this.p.cancelTimer(this.timer);
  }

  override handleWriteFile(r: AsynchWriteFileResult) {
    if (!r.success || r.bytesTransferred !== FRAME) this.mismatches.push(`write ${String(r.act)}: ${r.errorCode || r.bytesTransferred}`);
    this.rf.read(new MessageBlock(FRAME), FRAME, r.offset, r.act);
  }

  override handleReadFile(r: AsynchReadFileResult) {
    const got = r.messageBlock.data().toString();
    if (got !== frame(r.act as number)) this.mismatches.push(`read ${String(r.act)}: '${got}'`);
    if (++this.verified === FRAMES) this.p.proactorEndEventLoop();
  }
}

describe.each(backends)('Proactor_File_Test on %s', (backend) => {
  it.each(['post-reactive', 'call-through'] as const)('should write 16 frames on a timer and read each back (%s)', async (strategy) => {
    const proactor = new Proactor({ backend });
    const dir = mkdtempSync(join(tmpdir(), 'ace-file-test-'));
    const fd = openSync(join(dir, 'frames'), 'w+');
    try {
      const h = new FileHandler(proactor, fd);
      h.start();
      await proactor.proactorRunEventLoop(strategy, { timeLimitMs: 10_000 });
      expect(h.mismatches).toEqual([]);
      expect([h.written, h.verified]).toEqual([FRAMES, FRAMES]);
      const whole = readFileSync(join(dir, 'frames'), 'utf8');
      expect(whole.length).toBe(FRAME * FRAMES);
      expect(whole).toBe(Array.from({ length: FRAMES }, (_, k) => frame(k)).join(''));
    } finally {
      await proactor.close();
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
