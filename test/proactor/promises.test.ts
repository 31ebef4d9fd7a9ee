import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { AsynchReadFile } from '../../framework/proactor/AsynchReadFile';
import { AsynchWriteFile } from '../../framework/proactor/AsynchWriteFile';
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { loadNative } from '../../framework/native/loadNative';
import { backends } from '../support/backends';
import { expectNoFdLeaks } from '../support/leaks';
import { socketPair, streams } from '../support/streams';

const sock = loadNative().socket;

expectNoFdLeaks();

/** A handler that must not be called: the Promise form takes the completions. */
class Untouched extends Handler {
  calls = 0;
  override handleReadStream() {
    this.calls++;
  }
  override handleWriteStream() {
    this.calls++;
  }
}

describe.each(backends)('the Promise form of the operations on %s', (backend) => {
  let proactor: Proactor;
  const toClose: number[] = [];
  beforeEach(() => {
    proactor = new Proactor({ backend });
    void proactor.proactorRunEventLoop();
  });
  afterEach(async () => {
    await proactor.close();
    for (const fd of toClose.splice(0)) sock.close(fd);
  });

  it('should resolve with the result, the handler untouched', async () => {
    const [a, b] = socketPair();
    toClose.push(a, b);
    const h = new Untouched(proactor);
    const { rs, ws } = streams(h, a, proactor);
    const reading = rs.readAsync(new MessageBlock(16), 16, { act: 'r' });
    sock.sendNow(b, Buffer.from('promised'), 0, 8);
    const r = await reading;
    expect([r.success, r.bytesTransferred, r.messageBlock.data().toString(), r.act]).toEqual([true, 8, 'promised', 'r']);
    const w = await ws.writeAsync(MessageBlock.from('back'), 4);
    expect([w.success, w.bytesTransferred]).toEqual([true, 4]);
    expect(h.calls).toBe(0);
    // The result is the caller's: the stream does not reuse it.
    const again = rs.readAsync(new MessageBlock(4), 4);
    sock.sendNow(b, Buffer.from('more'), 0, 4);
    expect(await again).not.toBe(r);
    expect(r.messageBlock.data().toString()).toBe('promised');
  });

  it('should cancel on abort and reject with an AbortError whose cause is the result', async () => {
    const [a, b] = socketPair();
    toClose.push(a, b);
    const { rs } = streams(new Untouched(proactor), a, proactor);
    const controller = new AbortController();
    const reading = rs.readAsync(new MessageBlock(16), 16, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const e = (await reading.catch((x: unknown) => x)) as DOMException & { cause: AsynchReadStreamResult };
    expect(e.name).toBe('AbortError');
    expect(e.cause.errorCode).toBe('ECANCELED');
    expect(proactor.inflight()).toBe(0);
    // Aborted before it starts: nothing goes in flight.
    await expect(rs.readAsync(new MessageBlock(4), 4, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(proactor.inflight()).toBe(0);
  });

  it('should read and write files at offsets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ace-promise-'));
    const fd = openSync(join(dir, 'f'), 'w+');
    try {
      const h = new Untouched(proactor);
      const wf = new AsynchWriteFile();
      const rf = new AsynchReadFile();
      wf.open(h, fd, undefined, proactor);
      rf.open(h, fd, undefined, proactor);
      const w = await wf.writeAsync(MessageBlock.from('at ten'), 6, 10);
      expect([w.success, w.offset]).toEqual([true, 10]);
      const mb = new MessageBlock(6);
      const r = await rf.readAsync(mb, 6, 10);
      expect(mb.data().toString()).toBe('at ten');
      expect(r.offset).toBe(10);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
