/**
 * The addon's readPacked/writePacked, which a proactor's read and write go
 * through: every operand but the buffer comes from a Float64Array shared
 * with the addon, so each is checked there before the kernel sees it.
 */
import { loadNative } from '../../framework/native/loadNative';
import { type NativeProactor } from '../../framework/native/NativeBinding';
import { backends } from '../support/backends';
import { expectNoFdLeaks } from '../support/leaks';

const n = loadNative();

expectNoFdLeaks();

describe.each(backends)('packed read and write on %s', (backend) => {
  let operands: Float64Array;
  let cq: Int32Array;
  let p: NativeProactor;
  let pair: [number, number];

  beforeEach(() => {
    operands = new Float64Array(new ArrayBuffer(48));
    cq = new Int32Array(64);
    p = new n.Proactor(backend, {}, cq, () => undefined, operands);
    pair = n.socket.pair() as [number, number];
  });

  afterEach(() => {
    p.destroy();
    n.socket.close(pair[0]);
    n.socket.close(pair[1]);
  });

  /** slot, gen, fd, offset, length, position. */
  const set = (...values: number[]) => values.forEach((v, i) => (operands[i] = v));

  it('should carry bytes written with writePacked to a read made with readPacked, each completing with its token', () => {
    const out = Buffer.from('xxpackedxx');
    const into = Buffer.alloc(16);
    set(1, 3, pair[0], 2, 6, -1);
    expect(p.writePacked(out)).toBe(0);
    set(2, 5, pair[1], 4, 6, -1);
    expect(p.readPacked(into)).toBe(0);
    // (slot, gen, res) of each completion.
    const seen: number[][] = [];
    for (let i = 0; i < 200 && seen.length < 2; i++) {
      p.submit();
      p.wait(10);
      const count = p.reap();
      for (let k = 0; k < count; k++) seen.push([cq[4 * k], cq[4 * k + 1], cq[4 * k + 2]]);
    }
    expect(seen.sort((a, b) => a[0] - b[0])).toEqual([
      [1, 3, 6],
      [2, 5, 6],
    ]);
    expect(into.subarray(4, 10).toString()).toBe('packed');
  });

  it.each([
    ['slot', [-1, 0, 0, 0, 1, -1]],
    ['gen', [0, 2 ** 32, 0, 0, 1, -1]],
    ['fd', [0, 0, 2 ** 31, 0, 1, -1]],
    ['offset', [0, 0, 0, 0.5, 1, -1]],
    ['length', [0, 0, 0, 0, NaN, -1]],
    ['position', [0, 0, 0, 0, 1, -2]],
  ])('should refuse an operand %s out of range with a RangeError that names it', (name, values) => {
    set(...(values as number[]));
    expect(() => p.readPacked(Buffer.alloc(8))).toThrow(new RegExp(`operand ${name} is out of range`));
    expect(() => p.writePacked(Buffer.alloc(8))).toThrow(new RegExp(`operand ${name} is out of range`));
  });

  it('should refuse offset + length beyond the buffer', () => {
    set(0, 0, pair[0], 4, 5, -1);
    expect(() => p.readPacked(Buffer.alloc(8))).toThrow(/offset \+ length exceed the buffer/);
  });

  it('should refuse a Proactor made without an operands array, and an operands array too short', () => {
    const bare = new n.Proactor(backend, {}, new Int32Array(64), () => undefined);
    try {
      expect(() => bare.readPacked(Buffer.alloc(8))).toThrow(/without an operands array/);
    } finally {
      bare.destroy();
    }
    expect(() => new n.Proactor(backend, {}, new Int32Array(64), () => undefined, new Float64Array(5))).toThrow(/operands must be a Float64Array/);
  });
});

describe.each(backends)('a packed call whose operand runs code on %s', (backend) => {
  // On uring, open() asks getsockopt about the handle, which refuses one that is not a number.
  const why = backend === 'uring' ? 'uring refuses a handle that is not a number at open()' : undefined;
  (why ? it.skip : it)(`should keep its own operands when converting one starts another operation${why ? ` (skipped: ${why})` : ''}`, async () => {
    // A handle whose valueOf starts a read on another stream: both reads
    // must go out with their own tokens and each complete once.
    const { Proactor } = await import('../../framework/proactor/Proactor');
    const { Handler } = await import('../../framework/proactor/Handler');
    const { MessageBlock } = await import('../../framework/common/MessageBlock');
    const { AsynchReadStream } = await import('../../framework/proactor/AsynchReadStream');
    const proactor = new Proactor({ backend });
    void proactor.proactorRunEventLoop();
    const [a, b] = n.socket.pair() as [number, number];
    const [c, d] = n.socket.pair() as [number, number];
    const seen: string[] = [];
    const h = new (class extends Handler {
      override handleReadStream(r: { act: unknown; messageBlock: { data(): Buffer } }) {
        seen.push(`${String(r.act)}:${r.messageBlock.data().toString()}`);
      }
    })(proactor);
    const inner = new AsynchReadStream();
    inner.open(h, d, undefined, proactor);
    let started = false;
    const odd = {
      valueOf() {
        if (!started) {
          started = true;
          inner.read(new MessageBlock(8), 8, 'inner');
        }
        return b;
      },
    } as unknown as number;
    const outer = new AsynchReadStream();
    try {
      outer.open(h, odd, undefined, proactor);
      started = false;
      outer.read(new MessageBlock(8), 8, 'outer');
      expect(n.socket.sendNow(a, Buffer.from('to-b'), 0, 4)).toBe(4);
      expect(n.socket.sendNow(c, Buffer.from('to-d'), 0, 4)).toBe(4);
      for (let i = 0; i < 200 && seen.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(seen.sort()).toEqual(['inner:to-d', 'outer:to-b']);
    } finally {
      await proactor.close();
      for (const fd of [a, b, c, d]) n.socket.close(fd);
    }
  });
});
