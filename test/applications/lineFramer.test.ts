import { LineFramer } from '../../applications/example_proactor/LineFramer';
import { MessageBlock } from '../../framework/common/MessageBlock';

/** Feeds chunks as reads would: never more than the block's free space at once. */
function feed(framer: LineFramer, chunks: string[]): { lines: string[]; tooLong: boolean; left: string } {
  let mb = framer.newBlock();
  const lines: string[] = [];
  for (const chunk of chunks) {
    for (let bytes = Buffer.from(chunk); bytes.length > 0; ) {
      const n = Math.min(mb.space(), bytes.length);
      mb.copy(bytes.subarray(0, n));
      bytes = bytes.subarray(n);
      if (framer.take(mb, (line) => lines.push(line.toString()))) return { lines, tooLong: true, left: '' };
      mb = framer.fit(mb);
    }
  }
  return { lines, tooLong: false, left: mb.data().toString() };
}

describe('LineFramer', () => {
  it('should give each complete line once, however the bytes were split or joined', () => {
    const framer = new LineFramer(16);
    expect(feed(framer, ['a\nb', 'c\n\nd', 'ef\r\ng\r', '\nrest'])).toEqual({ lines: ['a', 'bc', '', 'def', 'g'], tooLong: false, left: 'rest' });
  });

  it('should accept a line of exactly the limit, with "\\n" or "\\r\\n"', () => {
    const framer = new LineFramer(8);
    expect(feed(framer, ['12345678\n', '12345678\r', '\n'])).toEqual({ lines: ['12345678', '12345678'], tooLong: false, left: '' });
  });

  it('should report a line over the limit, complete or not, after giving the lines before it', () => {
    const framer = new LineFramer(8);
    expect(feed(framer, ['ok\n123456789\nnext\n']).lines).toEqual(['ok']);
    expect(feed(framer, ['ok\n123456789\nnext\n']).tooLong).toBe(true);
    expect(feed(framer, ['ok\n1234', '56789', '0']).tooLong).toBe(true);
    expect(feed(framer, ['123456789']).tooLong).toBe(false);
    expect(feed(framer, ['123456789', '\n']).tooLong).toBe(true);
  });

  describe('when blocks start small', () => {
    it('should frame the same lines, the limit included, whatever the first block\'s size', () => {
      for (const initial of [1, 3, 4, 1024]) {
        const framer = new LineFramer(8, initial);
        expect(feed(framer, ['a\nb', 'c\n\nd', 'ef\r\ng\r', '\nrest'])).toEqual({ lines: ['a', 'bc', '', 'def', 'g'], tooLong: false, left: 'rest' });
        expect(feed(framer, ['12345678\n', '12345678\r', '\n'])).toEqual({ lines: ['12345678', '12345678'], tooLong: false, left: '' });
        expect(feed(framer, ['ok\n1234', '56789', '0']).tooLong).toBe(true);
        expect(feed(framer, ['123456789']).tooLong).toBe(false);
      }
    });

    it('should grow a block only as far as a partial line needs, and give a small one back once it is empty', () => {
      const framer = new LineFramer(64, 4);
      let mb = framer.newBlock();
      expect(mb.size()).toBe(4);
      const lines: string[] = [];
      for (const chunk of ['abcd', 'efgh', 'ijkl\n']) {
        mb.copy(chunk);
        expect(framer.take(mb, (line) => lines.push(line.toString()))).toBe(false);
        mb = framer.fit(mb);
      }
      expect(lines).toEqual(['abcdefghijkl']);
      expect(mb.size()).toBe(4);
      expect(mb.length()).toBe(0);
    });
  });

  describe('when reads land in ring buffers (append)', () => {
    /** As the example server does on io_uring: lines are taken from each arrival, a partial one carried in a block of its own. */
    function feedRing(framer: LineFramer, chunks: string[]): { lines: string[]; tooLong: boolean; left: string; sizes: number[] } {
      let carry: MessageBlock | undefined;
      const lines: string[] = [];
      const sizes: number[] = [];
      for (const chunk of chunks) {
        const framed = framer.takeArrival(carry, MessageBlock.from(chunk), (line) => lines.push(line.toString()));
        carry = framed.carry;
        sizes.push(carry?.size() ?? 0);
        if (framed.tooLong) return { lines, tooLong: true, left: '', sizes };
      }
      return { lines, tooLong: false, left: carry?.data().toString() ?? '', sizes };
    }

    it('should frame the same lines as reads into a block, the limit included', () => {
      for (const initial of [1, 4, 1024]) {
        const framer = new LineFramer(8, initial);
        expect(feedRing(framer, ['a\nb', 'c\n\nd', 'ef\r\ng\r', '\nrest'])).toMatchObject({ lines: ['a', 'bc', '', 'def', 'g'], tooLong: false, left: 'rest' });
        expect(feedRing(framer, ['12345678\n', '12345678\r', '\n'])).toMatchObject({ lines: ['12345678', '12345678'], tooLong: false, left: '' });
        expect(feedRing(framer, ['ok\n1234', '56789', '0']).tooLong).toBe(true);
        expect(feedRing(framer, ['ok\n123456789\nnext\n'])).toMatchObject({ lines: ['ok'], tooLong: true });
        expect(feedRing(framer, ['123456789']).tooLong).toBe(false);
        expect(feedRing(framer, ['123456789', '\n']).tooLong).toBe(true);
      }
    });

    it('should lose no line when an arrival holds more than a carried line can grow to', () => {
      // The carried line ends early in the arrival; the lines after it are framed where they landed.
      const framer = new LineFramer(10, 4);
      const arrival = `${'x'.repeat(6)}\n${Array.from({ length: 8 }, (_, i) => `line ${i}`).join('\n')}\ntail`;
      expect(feedRing(framer, ['abc', arrival])).toMatchObject({
        lines: ['abcxxxxxx', ...Array.from({ length: 8 }, (_, i) => `line ${i}`)],
        tooLong: false,
        left: 'tail',
      });
    });

    it('should grow the carried block by doubling, never past the longest line and its "\\r\\n", and leave out what cannot fit', () => {
      const framer = new LineFramer(20, 4);
      const r = feedRing(framer, ['abc', 'defgh', 'ijklmnop', 'qrstuvwxyz0123456789']);
      expect(r.sizes).toEqual([4, 8, 16, 22]);
      // 22 bytes held; the rest of the last arrival was left out, and the line is too long.
      expect(r.tooLong).toBe(true);
      const mb = framer.append(undefined, Buffer.alloc(100, 0x61));
      expect(mb.size()).toBe(22);
      expect(mb.length()).toBe(22);
    });
  });
});
