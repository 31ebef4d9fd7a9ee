import { MessageBlock } from '../../framework/common/MessageBlock';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Newline framing over a MessageBlock that reads append to. TCP splits and
 * joins writes as it likes: take() hands out every complete line, leaves a
 * partial one in the block for the next read, and says when a line is
 * longer than the limit.
 *
 * @example
 * const framer = new LineFramer(64 * 1024);
 * let mb = framer.newBlock();
 * // … a read fills mb …
 * const tooLong = framer.take(mb, (line) => reply(line));
 * mb = framer.fit(mb); // the block for the next read
 */
export class LineFramer {
  constructor(
    /** The longest line accepted, in bytes, without its "\n" or "\r\n". */
    readonly maxLineLength: number,
    /** The size of a new block; fit() grows it, up to the longest line, as a line needs. */
    readonly initialSize = 1024,
  ) {}

  /** A small block: an idle connection holds this much. */
  newBlock(): MessageBlock {
    return new MessageBlock(Math.min(this.initialSize, this.maxLineLength + 2));
  }

  /**
   * The block for the next read, after take(): mb itself while it has room;
   * a block twice the size holding mb's partial line when that line fills
   * it (never more than the longest line and its "\r\n"); a new small block
   * once mb, grown for a long line, is empty again.
   */
  fit(mb: MessageBlock): MessageBlock {
    const limit = this.maxLineLength + 2;
    if (mb.space() === 0 && mb.size() < limit) {
      const bigger = new MessageBlock(Math.min(mb.size() * 2, limit));
      bigger.copy(mb.data());
      return bigger;
    }
    if (mb.length() === 0 && mb.size() > this.initialSize) return this.newBlock();
    return mb;
  }

  /**
   * Calls onLine with each complete line in mb (a view, valid during the
   * call, without "\n" and a "\r" before it), then moves a partial line to
   * the front of mb. Returns true, having stopped there, if a line is
   * longer than maxLineLength; the lines before it were given.
   */
  take(mb: MessageBlock, onLine: (line: Buffer) => void): boolean {
    const data = mb.buffer.subarray(0, mb.wrPtr());
    let start = mb.rdPtr();
    for (let nl = data.indexOf(NEWLINE, start); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
      const stop = nl > start && data[nl - 1] === CARRIAGE_RETURN ? nl - 1 : nl;
      if (stop - start > this.maxLineLength) return true;
      onLine(data.subarray(start, stop));
      start = nl + 1;
    }
    mb.rdPtr(start - mb.rdPtr());
    // Without its newline a line may still end in "\r": one byte over is not yet too long.
    if (mb.length() > this.maxLineLength + 1) return true;
    mb.crunch();
    return false;
  }
}
