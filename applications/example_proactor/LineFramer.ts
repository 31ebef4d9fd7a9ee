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
   * Adds data after mb's bytes, in mb while it has room, else in a block
   * grown to hold both (doubling, never past the longest line and its
   * "\r\n"): returns the block that holds them. What does not fit even
   * then is left out: takeArrival() appends no more than the rest of one
   * line, which is then too long, as take() reports. mb may be undefined
   * (nothing held yet).
   */
  append(mb: MessageBlock | undefined, data: Uint8Array): MessageBlock {
    const limit = this.maxLineLength + 2;
    const held = mb?.length() ?? 0;
    let target = mb;
    if (target === undefined || target.space() < data.length) {
      let size = Math.max(target?.size() ?? 0, Math.min(this.initialSize, limit));
      while (size < held + data.length && size < limit) size *= 2;
      target = new MessageBlock(Math.min(size, limit));
      if (mb !== undefined) target.copy(mb.data());
    }
    target.copy(data.subarray(0, Math.min(data.length, target.space())));
    return target;
  }

  /**
   * Frames one arrival that landed in a buffer not ours to keep (a ring
   * buffer lent until the handler returns): calls onLine with each complete
   * line, the first joined to the partial line carried from before; returns
   * the partial line left at the end, copied into a block of our own
   * (undefined when there is none), and whether a line was too long (having
   * stopped there, as take() does).
   */
  takeArrival(carry: MessageBlock | undefined, arrival: MessageBlock, onLine: (line: Buffer) => void): { carry: MessageBlock | undefined; tooLong: boolean } {
    if (carry !== undefined && carry.length() > 0) {
      // Only the carried line's own end joins it: what follows is framed where it landed.
      const data = arrival.data();
      const nl = data.indexOf(NEWLINE);
      carry = this.append(carry, nl < 0 ? data : data.subarray(0, nl + 1));
      if (this.take(carry, onLine)) return { carry, tooLong: true };
      if (nl < 0) return { carry, tooLong: false };
      arrival.rdPtr(nl + 1);
    }
    if (this.take(arrival, onLine)) return { carry: undefined, tooLong: true };
    return { carry: arrival.length() > 0 ? this.append(undefined, arrival.data()) : undefined, tooLong: false };
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
