import { type Handle } from '../../framework/common/Handle';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { SockStream } from '../../framework/common/SockStream';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { AsynchWriteStream } from '../../framework/proactor/AsynchWriteStream';
import { type BufferRing } from '../../framework/proactor/BufferRing';
import { ServiceHandler } from '../../framework/proactor/ServiceHandler';
import { Deadline } from '../../framework/proactor/TimerWheel';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchWriteStreamResult } from '../../framework/proactor/results/AsynchWriteStreamResult';
import { type Acceptor } from './Acceptor';
import { LineFramer } from './LineFramer';

/** The longest message a client may send, in bytes, without its newline. */
export const MAX_LINE_LENGTH = 64 * 1024;

const ECHO = Buffer.from('Echo - ');
const NEWLINE = Buffer.from('\n');
const TOO_LONG = Buffer.from('Error - line too long\n');
/** Stateless: one for every connection. */
const FRAMER = new LineFramer(MAX_LINE_LENGTH);
/** What output holds between replies: nothing of the connection's own. */
const EMPTY = new MessageBlock(0);
/** After "line too long": how long, and how many more bytes, to read and drop before closing. */
const LINGER_MS = 2000;
const LINGER_BYTES = 16 * 1024 * 1024;

/**
 * The example's Completion Handler for one connection (an ACE
 * ServiceHandler): reads newline-delimited messages, answers each with
 * "Echo - <message>", reads again. One operation is in flight at a time —
 * read, then the write of every reply that read completed — so a client
 * that sends without reading is held back by TCP, not buffered here. A line
 * over MAX_LINE_LENGTH is answered "Error - line too long" and the
 * connection closed — gracefully: it half-closes, then reads and drops what
 * the client still sends for a bounded time, so the client sees the error
 * line before the close instead of a reset that could discard it. On EOF
 * or an error it closes its handle once (through
 * the Proactor, which cancels what is in flight first) and leaves the
 * acceptor's registry.
 */
export class ServerEventHandler extends ServiceHandler {
  private readonly rs = new AsynchReadStream();
  private readonly ws = new AsynchWriteStream();
  /**
   * Where reads land and lines are framed. With a ring (io_uring, epoll), reads land
   * in ring buffers and this holds only a partial line carried to the next
   * read (EMPTY otherwise: an idle connection holds no block). Without, it is
   * the block each read fills: small while the connection is idle, grown only
   * for a long line (LineFramer.fit).
   */
  private input: MessageBlock;
  private output = EMPTY;
  private closeAfterWrite = false;
  private lingering = false;
  private lingerTimer = 0;
  private dropped = 0;
  private closing: Promise<void> | undefined;
  /** Pushed back at every read and write; a line's deadline runs from its first byte to its newline. */
  private readonly idle = new Deadline(() => this.timedOut('idle'));
  private readonly line = new Deadline(() => this.timedOut('line'));

  /** The acceptor's buffer ring, where the backend has them. */
  private readonly ring: BufferRing | undefined;

  constructor(private readonly acceptor: Acceptor) {
    super();
    this.ring = acceptor.ring();
    this.input = this.ring ? EMPTY : FRAMER.newBlock();
  }

  override open(handle: Handle, _messageBlock?: MessageBlock): void {
    this.rs.open(this, handle);
    this.ws.open(this, handle);
    this.read();
    this.progress();
  }

  override handleReadStream(result: AsynchReadStreamResult): void {
    if (this.closing) return;
    if (!result.success || result.bytesTransferred === 0) {
      if (!result.success) this.acceptor.stats.failed++;
      void this.close();
      return;
    }
    if (this.lingering) return this.drop(result.bytesTransferred);
    this.progress();
    const replies: Buffer[] = [];
    const onLine = (line: Buffer) => replies.push(ECHO, Buffer.from(line), NEWLINE);
    let tooLong: boolean;
    if (this.ring === undefined) {
      tooLong = FRAMER.take(this.input, onLine);
    } else {
      // Lent a ring buffer until this returns: its lines are copied into the
      // replies, and a partial line at its end into a block of our own.
      const framed = FRAMER.takeArrival(this.input, result.messageBlock, onLine);
      this.input = framed.carry ?? EMPTY;
      tooLong = framed.tooLong;
    }
    this.acceptor.stats.lines += replies.length / 3;
    const { lineMs } = this.acceptor.timeouts;
    if (this.input.length() === 0) this.acceptor.wheel().disarm(this.line);
    else if (lineMs > 0 && !this.line.isArmed()) this.acceptor.wheel().arm(this.line, lineMs);
    if (tooLong) {
      replies.push(TOO_LONG);
      this.acceptor.stats.tooLong++;
      this.closeAfterWrite = true;
    }
    if (replies.length === 0) return this.read();
    this.output = MessageBlock.from(Buffer.concat(replies));
    this.ws.write(this.output, this.output.length());
  }

  override handleWriteStream(result: AsynchWriteStreamResult): void {
    if (this.closing) return;
    if (!result.success) {
      this.acceptor.stats.failed++;
      void this.close();
      return;
    }
    this.progress();
    if (this.output.length() > 0) return this.ws.write(this.output, this.output.length());
    this.output = EMPTY;
    if (this.closeAfterWrite) return this.linger();
    this.read();
  }

  /** The linger after "line too long" is over. */
  override handleTimeOut(): void {
    this.lingerTimer = 0;
    void this.close();
  }

  /** Closes the connection (once; later calls get the same Promise) and leaves the registry. */
  close(): Promise<void> {
    this.acceptor.wheel().disarm(this.idle);
    this.acceptor.wheel().disarm(this.line);
    if (this.lingerTimer) this.proactor()!.cancelTimer(this.lingerTimer);
    this.lingerTimer = 0;
    this.closing ??= this.proactor()!
      .closeHandle(this.handle())
      .catch((e: Error) => process.stderr.write(`example_proactor server: ${e.message}\n`))
      .then(() => this.acceptor.remove(this));
    return this.closing;
  }

  /** Bytes moved: the idle deadline starts again (a stored number, no system call). */
  private progress(): void {
    const { idleMs } = this.acceptor.timeouts;
    if (idleMs > 0) this.acceptor.wheel().arm(this.idle, idleMs);
  }

  private timedOut(which: 'idle' | 'line'): void {
    if (this.closing) return;
    this.acceptor.stats.timedOut++;
    this.acceptor.log(`connection closed: ${which} timeout`);
    void this.close();
  }

  /** Half-closes (the client reads the error, then EOF) and drops what still comes. */
  private linger(): void {
    try {
      new SockStream(this.handle()).closeWriter();
    } catch {
      return void this.close();
    }
    this.lingering = true;
    this.lingerTimer = this.proactor()!.scheduleTimer(this, undefined, LINGER_MS);
    this.drop(0);
  }

  private drop(bytes: number): void {
    this.dropped += bytes;
    if (this.dropped > LINGER_BYTES) return void this.close();
    if (this.ring) this.input = EMPTY;
    else this.input.reset();
    this.read();
  }

  private read(): void {
    if (this.ring) return this.rs.readFromRing(this.ring);
    this.input = FRAMER.fit(this.input);
    this.rs.read(this.input, this.input.space());
  }
}
