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
