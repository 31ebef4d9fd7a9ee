/**
 * ACE's tests/Proactor_Scatter_Gather_Test.cpp, ported: a file is read
 * with one scattered read into page-size chunks; the odd chunks go over one
 * stream and the even ones over another, each with gathered writes; the
 * receiver reassembles them with gathered file writes at their offsets. The
 * output equals the input byte for byte.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { AsynchReadFile } from '../../framework/proactor/AsynchReadFile';
import { AsynchWriteFile } from '../../framework/proactor/AsynchWriteFile';
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { type AsynchReadFileResult } from '../../framework/proactor/results/AsynchReadFileResult';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchWriteFileResult } from '../../framework/proactor/results/AsynchWriteFileResult';
import { type AsynchWriteStreamResult } from '../../framework/proactor/results/AsynchWriteStreamResult';
import { loadNative } from '../../framework/native/loadNative';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks } from '../support/leaks';
import { socketPair, streams } from '../support/streams';

const sock = loadNative().socket;

expectNoFdLeaks();

const PAGE = 4096;
const CHUNKS = 8;

/** A chain of n empty blocks of PAGE bytes. */
function chain(n: number): MessageBlock {
  const head = new MessageBlock(PAGE);
  let at = head;
  for (let i = 1; i < n; i++) at = at.cont = new MessageBlock(PAGE);
  return head;
}

/** The blocks of a chain, in order. */
function blocks(head: MessageBlock): MessageBlock[] {
  const out: MessageBlock[] = [];
  for (let mb: MessageBlock | null = head; mb; mb = mb.cont) out.push(mb);
  return out;
}

/** Relinks blocks into a chain; returns its head. */
function relink(list: MessageBlock[]): MessageBlock {
  list.forEach((mb, i) => (mb.cont = list[i + 1] ?? null));
  return list[0];
}

describe.each(backends)('Proactor_Scatter_Gather_Test on %s', (backend) => {
  it('should carry a file over two streams, odd and even pages apart, and put it back together', async () => {
    const proactor = new Proactor({ backend });
    const dir = mkdtempSync(join(tmpdir(), 'ace-sg-'));
    const input = Buffer.alloc(PAGE * CHUNKS);
    for (let i = 0; i < input.length; i++) input[i] = (i * 31 + (i >> 12)) & 0xff;
    writeFileSync(join(dir, 'in'), input);
    const inFd = openSync(join(dir, 'in'), 'r');
    const outFd = openSync(join(dir, 'out'), 'w+');
    const pairs = [socketPair(), socketPair()];
    try {
      let stage = 'read';
      const received: MessageBlock[][] = [[], []];
      let sentStreams = 0;
      let writtenBack = 0;
      const h = new (class extends Handler {
        override handleReadFile(r: AsynchReadFileResult) {
          expect(r.bytesTransferred).toBe(PAGE * CHUNKS);
          stage = 'send';
          // Even pages over stream 0, odd pages over stream 1.
          const all = blocks(r.messageBlock);
          [0, 1].forEach((parity) => {
            const mine = relink(all.filter((_, i) => i % 2 === parity));
            senders[parity].ws.writev(mine, mine.totalLength(), parity);
          });
        }
        override handleWriteStream(w: AsynchWriteStreamResult) {
          const head = w.messageBlock;
          if (head.totalLength() > 0) return senders[w.act as number].ws.writev(head, head.totalLength(), w.act);
          sentStreams++;
        }
        override handleReadStream(r: AsynchReadStreamResult) {
          const parity = r.act as number;
          if (r.bytesTransferred === 0) return;
          received[parity].push(...blocks(r.messageBlock).filter((mb) => mb.length() > 0));
          const got = (p: number) => received[p].reduce((n, mb) => n + mb.length(), 0);
          if (got(parity) < (PAGE * CHUNKS) / 2) receivers[parity].rs.readv(chain(2), 2 * PAGE, parity);
          else if (got(1 - parity) === (PAGE * CHUNKS) / 2) gather();
        }
        override handleWriteFile(w: AsynchWriteFileResult) {
          expect(w.success).toBe(true);
          writtenBack += w.bytesTransferred;
        }
      })(proactor);
      const senders = pairs.map(([a]) => streams(h, a, proactor));
      const receivers = pairs.map(([, b]) => streams(h, b, proactor));
      const writer = new AsynchWriteFile();
      writer.open(h, outFd, undefined, proactor);
      /** Each stream carried its pages in order: even pages at 2k, odd at 2k + 1, one gathered write per page. */
      const gather = () => {
        [0, 1].forEach((parity) => {
          const bytes = Buffer.concat(received[parity].map((mb) => mb.data()));
          for (let k = 0; k * PAGE < bytes.length; k++) {
            const page = MessageBlock.from(bytes.subarray(k * PAGE, (k + 1) * PAGE));
            writer.writev(page, page.length(), (2 * k + parity) * PAGE);
          }
        });
      };
      receivers.forEach((r, parity) => r.rs.readv(chain(2), 2 * PAGE, parity));
      const reader = new AsynchReadFile();
      reader.open(h, inFd, undefined, proactor);
      reader.readv(chain(CHUNKS), PAGE * CHUNKS, 0);
      // A send's completion may reach the handler after the peer already
      // received its bytes and the file write finished: wait for both.
      await dispatchUntil(proactor, () => writtenBack === PAGE * CHUNKS && sentStreams === 2, () => `the file put back together (stage ${stage}, ${sentStreams} streams sent, ${writtenBack} bytes written)`);
      expect(sentStreams).toBe(2);
      expect(readFileSync(join(dir, 'out')).equals(input)).toBe(true);
    } finally {
      await proactor.close();
      closeSync(inFd);
      closeSync(outFd);
      for (const [a, b] of pairs) {
        sock.close(a);
        sock.close(b);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
