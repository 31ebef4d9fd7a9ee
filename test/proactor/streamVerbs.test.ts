/**
 * Which verbs a stream's reads and writes use. On io_uring a stream on a
 * socket reads and writes with RECV and SEND (READ and WRITE do file work
 * there that a socket does not need); on anything else, and on the other
 * backends, it keeps read and write. Every case moves bytes, so a wrong
 * choice fails: recv on a FIFO is ENOTSOCK.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { loadNative } from '../../framework/native/loadNative';
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { backends } from '../support/backends';
import { expectNoFdLeaks } from '../support/leaks';
import { skipNote } from '../support/platform';
import { socketPair, streams } from '../support/streams';

const sock = loadNative().socket;
/** The FIFO cases need mkfifo and a FIFO opened read-write. */
const noFifo = process.platform === 'win32' ? 'Windows has no FIFOs (mkfifo)' : undefined;

expectNoFdLeaks();

/** Writes text on one stream pair member, reads it on the other; returns what was read. */
async function carry(proactor: Proactor, writeFd: number, readFd: number, text: string): Promise<{ read: string; viaSocket: boolean[] }> {
  const h = new Handler();
  const { ws } = streams(h, writeFd, proactor);
  const { rs } = streams(h, readFd, proactor);
  const written = await ws.writeAsync(MessageBlock.from(text), text.length);
  expect(written.success).toBe(true);
  const got = await rs.readAsync(new MessageBlock(64), 64);
  expect(got.error).toBe(0);
  return { read: got.messageBlock.data().toString(), viaSocket: [written.viaSocket, got.viaSocket] };
}

describe.each(backends)('stream verbs on %s', (backend) => {
  const socketVerbs = backend === 'uring';
  let proactor: Proactor;
  let dir: string;

  beforeEach(() => {
    proactor = new Proactor({ backend });
    void proactor.proactorRunEventLoop();
    dir = mkdtempSync(join(tmpdir(), 'ace-verbs-'));
  });

  afterEach(async () => {
    await proactor.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A FIFO opened read-write (Linux allows it), so one fd both writes and reads. */
  function fifo(): number {
    const path = join(dir, 'fifo');
    execFileSync('mkfifo', [path]);
    return openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  }

  it(`should carry bytes over a socket pair${socketVerbs ? ', with recv and send' : ', with read and write'}`, async () => {
    const [a, b] = socketPair();
    try {
      const { read, viaSocket } = await carry(proactor, a, b, 'over a socket');
      expect(read).toBe('over a socket');
      expect(viaSocket).toEqual([socketVerbs, socketVerbs]);
    } finally {
      sock.close(a);
      sock.close(b);
    }
  });

  (noFifo ? it.skip : it)(`should carry bytes through a FIFO with read and write${skipNote(noFifo)}`, async () => {
    const fd = fifo();
    try {
      const { read, viaSocket } = await carry(proactor, fd, fd, 'through a pipe');
      expect(read).toBe('through a pipe');
      expect(viaSocket).toEqual([false, false]);
    } finally {
      closeSync(fd);
    }
  });

  (noFifo ? it.skip : it)(`should choose again when a stream is opened on another handle: socket, then FIFO${skipNote(noFifo)}`, async () => {
    const [a, b] = socketPair();
    const fd = fifo();
    const h = new Handler();
    try {
      const { rs, ws } = streams(h, b, proactor);
      expect(sock.sendNow(a, Buffer.from('first'), 0, 5)).toBe(5);
      const first = await rs.readAsync(new MessageBlock(16), 16);
      expect(first.messageBlock.data().toString()).toBe('first');
      rs.open(h, fd, undefined, proactor);
      ws.open(h, fd, undefined, proactor);
      expect((await ws.writeAsync(MessageBlock.from('second'), 6)).success).toBe(true);
      const second = await rs.readAsync(new MessageBlock(16), 16);
      expect(second.error).toBe(0);
      expect(second.messageBlock.data().toString()).toBe('second');
      expect(second.viaSocket).toBe(false);
    } finally {
      sock.close(a);
      sock.close(b);
      closeSync(fd);
    }
  });
});
