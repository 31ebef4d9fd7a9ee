/**
 * closeHandle on an io_uring socket with more operations in flight than the
 * SQ holds. The close's hard-linked chain (a cancel per operation, a cancel
 * per transmit-file step, the slot's close, the close) must still fit in
 * the SQ (else Submit() spins forever), and every operation on the fd must
 * be cancelled, not only as many as fit.
 *
 * Each case runs in a child jest process (CLOSE_MANY_CASE names it) killed
 * after a timeout: a close that never fits spins inside a native call, where
 * no jest timeout could stop it.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { loadNative } from '../../framework/native/loadNative';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { AsynchTransmitFile } from '../../framework/proactor/AsynchTransmitFile';
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { ProactorFactory } from '../../framework/proactor/ProactorFactory';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchTransmitFileResult } from '../../framework/proactor/results/AsynchTransmitFileResult';
import { dispatchUntil } from '../support/drive';
import { tcpPair } from '../support/tcpPair';

const sock = loadNative().socket;
const { SOL_SOCKET, SO_SNDBUF, SO_RCVBUF } = sock.constants;

interface Case {
  name: string;
  reads: number;
  transmits: number;
  legacyCancel: boolean;
  fixedFiles: number;
}

const cases: Case[] = [];
for (const legacyCancel of [false, true]) {
  // Bug A: 6 reads + 2 transmit-file steps + the close = 9 SQEs > 8.
  cases.push({ name: `6 reads and 2 blocked transmit-files (legacyCancel ${legacyCancel})`, reads: 6, transmits: 2, legacyCancel, fixedFiles: 0 });
  // Bug B: 10 reads, only 6 of them had a cancel in the chain.
  cases.push({ name: `10 reads (legacyCancel ${legacyCancel})`, reads: 10, transmits: 0, legacyCancel, fixedFiles: 0 });
  // Both, with a registered-file slot on top.
  cases.push({ name: `10 reads, 2 blocked transmit-files, a fixed slot (legacyCancel ${legacyCancel})`, reads: 10, transmits: 2, legacyCancel, fixedFiles: 4 });
  // More transmit-file steps than fit beside the close, which no cancel by fd finds.
  cases.push({ name: `2 reads, 9 blocked transmit-files, a fixed slot (legacyCancel ${legacyCancel})`, reads: 2, transmits: 9, legacyCancel, fixedFiles: 4 });
}

/** Pends the case's operations on one socket of an sqEntries-8 ring, closes it, checks every completion. */
async function runCase(c: Case): Promise<void> {
  const proactor = new Proactor({ backend: 'uring', sqEntries: 8, legacyCancel: c.legacyCancel, fixedFiles: c.fixedFiles });
  const dir = mkdtempSync(join(tmpdir(), 'ace-closemany-'));
  const path = join(dir, 'f');
  writeFileSync(path, Buffer.alloc(8 * 1024 * 1024, 0x46));
  const file = openSync(path, 'r');
  const toClose: number[] = [];
  try {
    const { server, client } = await tcpPair(proactor);
    toClose.push(client);
    // Small buffers and a peer that never reads: the transmit-files block.
    sock.setOption(server, SOL_SOCKET, SO_SNDBUF, 4096);
    sock.setOption(client, SOL_SOCKET, SO_RCVBUF, 4096);
    const reads = new Map<number, AsynchReadStreamResult[]>();
    const transmits: AsynchTransmitFileResult[] = [];
    const handler = new (class extends Handler {
      override handleReadStream(r: AsynchReadStreamResult) {
        const k = r.act as number;
        reads.set(k, [...(reads.get(k) ?? []), r]);
      }
      override handleTransmitFile(r: AsynchTransmitFileResult) {
        transmits.push(r);
      }
    })(proactor);
    const rs = new AsynchReadStream();
    rs.open(handler, server, undefined, proactor);
    for (let i = 0; i < c.reads; ++i) rs.read(new MessageBlock(64), 64, i);
    const tfs: AsynchTransmitFile[] = [];
    for (let i = 0; i < c.transmits; ++i) {
      const tf = new AsynchTransmitFile();
      tf.open(handler, server, undefined, proactor);
      tf.transmitFile(file, null);
      tfs.push(tf);
    }
    // Let the transmit-files fill the socket and wait on it in the kernel.
    const until = Date.now() + 300;
    await dispatchUntil(proactor, () => Date.now() > until, 'the transmit-files to block');
    expect(reads.size).toBe(0);
    expect(transmits.length).toBe(0);
    let closed = false;
    const closing = proactor.closeHandle(server).then(() => {
      closed = true;
    });
    await dispatchUntil(proactor, () => closed && reads.size === c.reads && transmits.length === c.transmits, () => `the close and every cancelled operation (closed ${closed}, ${reads.size} of ${c.reads} reads, ${transmits.length} of ${c.transmits} transmit-files)`, 5000);
    await closing;
    // A moment for any duplicate completion.
    const quiet = Date.now() + 100;
    await dispatchUntil(proactor, () => Date.now() > quiet, 'a quiet moment');
    for (let i = 0; i < c.reads; ++i) {
      const rr = reads.get(i) ?? [];
      expect(rr.length).toBe(1);
      expect([rr[0].success, rr[0].errorCode]).toEqual([false, 'ECANCELED']);
    }
    expect(transmits.length).toBe(c.transmits);
    for (const t of transmits) expect([t.success, t.errorCode]).toEqual([false, 'ECANCELED']);
    expect(proactor.inflight()).toBe(0);
  } finally {
    await proactor.close();
    for (const h of toClose) sock.close(h);
    closeSync(file);
    rmSync(dir, { recursive: true, force: true });
  }
}

const child = process.env.CLOSE_MANY_CASE;
const hasUring = ProactorFactory.availableBackends().includes('uring');

if (child !== undefined) {
  const c = cases.find((k) => k.name === child);
  it(`child: ${child}`, async () => {
    expect(c).toBeDefined();
    await runCase(c!);
  });
} else {
  (hasUring ? describe : describe.skip)('closeHandle with more operations in flight than the io_uring SQ holds', () => {
    it.each(cases.map((c) => [c.name]))('%s: every operation completes once with ECANCELED and the close resolves', (name) => {
      const run = spawnSync(process.execPath, ['--expose-gc', join(__dirname, '..', '..', 'node_modules', 'jest', 'bin', 'jest.js'), '--runTestsByPath', __filename, '--ci', '--silent=false'], {
        env: { ...process.env, CLOSE_MANY_CASE: name },
        cwd: join(__dirname, '..', '..'),
        encoding: 'utf8',
        // Most of it is jest starting in the child (seen 14-25 s on a loaded
        // machine); the case itself takes about a second.
        timeout: 50_000,
        killSignal: 'SIGKILL',
      });
      const out = `${run.stdout}\n${run.stderr}`;
      if (run.signal) throw new Error(`the child was killed (${run.signal}): it hung\n${out.slice(-3000)}`);
      if (run.status !== 0) throw new Error(`the child failed (status ${run.status})\n${out.slice(-6000)}`);
    }, 80_000);
  });
}
