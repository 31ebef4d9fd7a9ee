import { LineFramer } from '../../applications/example_proactor/LineFramer';

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
});
