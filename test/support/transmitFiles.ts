import { createHash, randomBytes, type Hash } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { type Handle } from '../../framework/common/Handle';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { loadNative } from '../../framework/native/loadNative';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { AsynchTransmitFile } from '../../framework/proactor/AsynchTransmitFile';
import { Handler } from '../../framework/proactor/Handler';
import { type Proactor } from '../../framework/proactor/Proactor';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchTransmitFileResult } from '../../framework/proactor/results/AsynchTransmitFileResult';

/**
 * The two ends of a transmit-file test: the sender's transmit-file results,
 * and a receiver that reads the peer socket until EOF, keeping the bytes
 * (or only their SHA-256 and count, for large transfers).
 */
export class TransmitEnds extends Handler {
  readonly transmits: AsynchTransmitFileResult[] = [];
  readonly tf = new AsynchTransmitFile();
  private readonly rs = new AsynchReadStream();
  private readonly chunks: Buffer[] = [];
  private readonly hash: Hash = createHash('sha256');
  received = 0;
  /** The read that ended the stream: EOF (0 bytes) or an error. */
  end: AsynchReadStreamResult | undefined;
  /** Half-closes the sender once a transmit completes, so the receiver sees EOF. */
  shutdownAfter = true;

  constructor(
    proactor: Proactor,
    readonly sender: Handle,
    readonly receiver: Handle,
    private readonly keep = true,
    private readonly blockSize = 65536,
  ) {
    super(proactor);
    this.tf.open(this, sender, undefined, proactor);
    this.rs.open(this, receiver, undefined, proactor);
  }

  /** Starts reading (call it later to make a receiver that lets the sender's buffers fill). */
  startReading(): void {
    this.rs.read(new MessageBlock(this.blockSize), this.blockSize);
  }

  override handleTransmitFile(r: AsynchTransmitFileResult): void {
    this.transmits.push(r);
    if (this.shutdownAfter) loadNative().socket.shutdown(this.sender, loadNative().socket.constants.SHUT_WR);
  }

  override handleReadStream(r: AsynchReadStreamResult): void {
    if (!r.success || r.bytesTransferred === 0) {
      this.end = r;
      return;
    }
    const data = r.messageBlock.data();
    this.received += data.length;
    if (this.keep) this.chunks.push(Buffer.from(data));
    else this.hash.update(data);
    this.startReading();
  }

  /** Every byte received (keep mode). */
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** SHA-256 of what was received (hash mode). */
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Deterministic-looking bytes nobody could get right by accident. */
export function someBytes(n: number): Buffer {
  return randomBytes(n);
}

/** The fds of this process that are pipes. */
export function openPipes(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('pipe:')) n++;
    } catch {
      // closed while listed (the listing's own fd)
    }
  }
  return n;
}
