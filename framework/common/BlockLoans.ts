import { MessageBlock, type MessageBlockOwner } from './MessageBlock';
import { ProactorError } from './ProactorError';

/**
 * Message blocks carved from one region and lent out by index: the
 * bookkeeping a registered buffer pool and a buffer ring share. Each block
 * knows its owner and index, so mb.release() finds its way back; a block
 * can be lent once at a time and taken back once.
 */
export class BlockLoans {
  /** The blocks, by index. */
  readonly blocks: MessageBlock[] = [];
  private readonly lent: boolean[] = [];
  /** Each block's loan count: which loan the current one is. */
  private readonly loans: number[] = [];
  private out_ = 0;

  /** count blocks of size bytes over region, each marked as owner's. */
  constructor(
    private readonly owner: MessageBlockOwner,
    region: Buffer,
    count: number,
    size: number,
  ) {
    for (let i = 0; i < count; i++) {
      const mb = new MessageBlock(region.subarray(i * size, (i + 1) * size));
      mb.owner = owner;
      mb.ownerIndex = i;
      this.blocks.push(mb);
      this.lent.push(false);
      this.loans.push(0);
    }
  }

  /** Blocks lent and not yet taken back. */
  get out(): number {
    return this.out_;
  }

  /** Lends block i; undefined if there is no such block or it is already out. */
  lend(i: number): MessageBlock | undefined {
    const mb = this.blocks[i];
    if (mb === undefined || this.lent[i]) return undefined;
    this.lent[i] = true;
    this.loans[i]++;
    this.out_++;
    return mb;
  }

  /** Which loan of its block mb is, or was last: a number that changes at each lend. */
  loanOf(mb: MessageBlock): number {
    return mb.owner === this.owner ? this.loans[mb.ownerIndex] : -1;
  }

  /** Whether mb is one of these blocks, lent and not yet taken back. */
  isLent(mb: MessageBlock): boolean {
    return mb.owner === this.owner && this.lent[mb.ownerIndex] === true;
  }

  /** Takes back a lent block, emptied; returns its index. `who` names the owner in the error. */
  takeBack(mb: MessageBlock, who: string): number {
    const i = mb.ownerIndex;
    if (mb.owner !== this.owner || !this.lent[i]) {
      throw new ProactorError('invalid-argument', `${who}.release: the block is not lent by this ${who}`);
    }
    this.lent[i] = false;
    this.out_--;
    mb.reset();
    mb.cont = null;
    return i;
  }
}
