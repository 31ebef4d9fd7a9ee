import { type Handle } from '../../framework/common/Handle';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { AsynchWriteStream } from '../../framework/proactor/AsynchWriteStream';
import { ServiceHandler } from '../../framework/proactor/ServiceHandler';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchWriteStreamResult } from '../../framework/proactor/results/AsynchWriteStreamResult';
import { LineFramer } from './LineFramer';
import { MAX_LINE_LENGTH } from './ServerEventHandler';

/** A reply a request still waits for. */
interface Waiter {
  resolve: (line: string) => void;
  reject: (error: Error) => void;
}

/**
 * The client's Completion Handler for its connection: sends lines, and
 * hands back the reply lines in order. A read is always in flight; writes
 * go one at a time, queued behind each other. When the server closes or
 * the connection fails, every waiting request is rejected with the reason.
 */
export class ClientHandler extends ServiceHandler {
  private readonly rs = new AsynchReadStream();
  private readonly ws = new AsynchWriteStream();
  private readonly framer = new LineFramer(MAX_LINE_LENGTH + 64);
  private readonly input = this.framer.newBlock();
  private readonly waiting: Waiter[] = [];
  private readonly queued: Buffer[] = [];
  private output: MessageBlock | undefined;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private act_: unknown;
  private settleLost!: (why: Error) => void;
  /** Settles with the reason when the server closes the connection or it fails; close() does not settle it. */
  readonly lost = new Promise<Error>((resolve) => (this.settleLost = resolve));

  constructor(private readonly onOpen: (handler: ClientHandler, act: unknown) => void = () => undefined) {
    super();
  }

  override act(act: unknown): void {
    this.act_ = act;
  }

  override open(handle: Handle, _messageBlock?: MessageBlock): void {
    this.rs.open(this, handle);
    this.ws.open(this, handle);
    this.rs.read(this.input, this.input.space());
    this.onOpen(this, this.act_);
  }

  /** Sends one line; resolves with the server's reply line. */
  request(line: string): Promise<string> {
    return this.send([line]).then((replies) => replies[0]);
  }

  /** Sends lines in one write; resolves with a reply line for each, in order. */
  send(lines: string[]): Promise<string[]> {
    if (this.failure) return Promise.reject(this.failure);
    const replies = lines.map((): Promise<string> => new Promise((resolve, reject) => this.waiting.push({ resolve, reject })));
    this.queued.push(Buffer.from(lines.map((l) => `${l}\n`).join('')));
    if (!this.output) this.writeNext();
    return Promise.all(replies);
  }

  override handleReadStream(result: AsynchReadStreamResult): void {
    if (this.closing) return;
    if (!result.success) return this.fail(`the connection failed: ${result.errorCode}`);
    if (result.bytesTransferred === 0) return this.fail('connection closed by the server');
    const tooLong = this.framer.take(this.input, (line) => {
      const waiter = this.waiting.shift();
      if (waiter) waiter.resolve(line.toString());
      else this.fail(`the server sent a line nobody asked for: '${line.toString().slice(0, 80)}'`);
    });
    if (tooLong) return this.fail('the server sent a line longer than any reply can be');
    if (!this.failure) this.rs.read(this.input, this.input.space());
  }

  override handleWriteStream(result: AsynchWriteStreamResult): void {
    if (this.closing) return;
    if (!result.success) return this.fail(`sending failed: ${result.errorCode}`);
    if (this.output!.length() > 0) return this.ws.write(this.output!, this.output!.length());
    this.output = undefined;
    this.writeNext();
  }

  /** Closes the connection, once; waiting requests are rejected. */
  close(): Promise<void> {
    if (!this.failure) this.failure = new Error('the connection was closed');
    this.rejectAll();
    this.closing ??= this.proactor()!
      .closeHandle(this.handle())
      .catch(() => undefined);
    return this.closing;
  }

  private writeNext(): void {
    const next = this.queued.shift();
    if (!next) return;
    this.output = MessageBlock.from(next);
    this.ws.write(this.output, this.output.length());
  }

  private fail(why: string): void {
    if (this.failure) return;
    this.failure = new Error(why);
    this.settleLost(this.failure);
    void this.close();
  }

  private rejectAll(): void {
    for (const waiter of this.waiting.splice(0)) waiter.reject(this.failure!);
    this.queued.length = 0;
  }
}
