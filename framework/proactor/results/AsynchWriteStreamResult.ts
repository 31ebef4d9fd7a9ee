import { type Handle } from '../../common/Handle';
import { type MessageBlock } from '../../common/MessageBlock';
import { ProactorError } from '../../common/ProactorError';
import { Errno } from '../../common/errno';
import { CompletionFlag, type NativeProactor } from '../../native/NativeBinding';
import { type AsynchOperation } from '../AsynchOperation';
import { AsynchResult, type Mutable } from '../AsynchResult';
import { type Handler } from '../Handler';
import { IoVectors } from './IoVectors';

/**
 * ACE_Asynch_Write_Stream::Result — the outcome of a stream write. On success
 * the message block's rdPtr has moved past the bytes written; a partial
 * write leaves the rest readable for the next write(). A zero-copy write is
 * dispatched once the kernel no longer reads its block, except at
 * Proactor.close(), which tells it at once what was sent: the block then
 * reports isHeldByKernel() until the kernel lets go.
 */
export class AsynchWriteStreamResult extends AsynchResult {
  private readonly vectors: IoVectors | undefined;
  /** Bytes a zero-copy send reported before its buffer was free. */
  private sent = 0;
  /** A zero-copy send's state between its two completions. */
  private zc: 'none' | 'sent' | 'settled' = 'none';
  /** @internal On a socket, where the backend prefers it: send instead of write (set by the stream). */
  viaSocket = false;

  constructor(
    handler: Handler | null,
    /** The handle written to. */
    readonly handle: Handle,
    /** Where the bytes came from. */
    readonly messageBlock: MessageBlock,
    /** How many bytes were asked to be written. */
    readonly bytesToWrite: number,
    act: unknown,
    completionKey: unknown,
    priority: number,
    signalNumber: number,
    owner: AsynchOperation | null,
    vectored: boolean,
    /** Send without copying (SEND_ZC); falls back to write off sockets */
    private zeroCopy = false,
  ) {
    super(handler, act, completionKey, priority, signalNumber, owner);
    this.vectors = vectored ? IoVectors.forWrite(messageBlock, bytesToWrite) : undefined;
  }

  /** @internal A plain write (not vectored) may be reused by its stream. */
  override reusable(): boolean {
    return this.vectors === undefined && this.constructor === AsynchWriteStreamResult;
  }

  /** @internal Re-initiates this finished result as a new write (see AsynchOperation.recycle). */
  reuse(handler: Handler | null, handle: Handle, messageBlock: MessageBlock, bytesToWrite: number, act: unknown, completionKey: unknown, priority: number, signalNumber: number, zeroCopy: boolean): this {
    this.reinitiate(handler, act, completionKey, priority, signalNumber);
    const self = this as Mutable<AsynchWriteStreamResult>;
    // The stream may have been re-opened on another handle since.
    self.handle = handle;
    self.messageBlock = messageBlock;
    self.bytesToWrite = bytesToWrite;
    this.zeroCopy = zeroCopy;
    this.sent = 0;
    this.zc = 'none';
    return this;
  }

  /** @internal */
  prepare(native: NativeProactor): number {
    const at = this.position();
    if (this.vectors) return native.writev(this.slot, this.gen, this.handle, this.vectors.views, this.vectors.iovecs, at);
    const mb = this.messageBlock;
    if (this.zeroCopy) return native.sendZc(this.slot, this.gen, this.handle, mb.buffer, mb.rdPtr(), this.bytesToWrite, 0);
    if (mb.registeredWith === native) {
      return native.writeFixed(this.slot, this.gen, this.handle, mb.buffer, mb.rdPtr(), this.bytesToWrite, at, mb.ownerIndex);
    }
    if (this.viaSocket && at === -1) return native.send(this.slot, this.gen, this.handle, mb.buffer, mb.rdPtr(), this.bytesToWrite, 0);
    return native.write(this.slot, this.gen, this.handle, mb.buffer, mb.rdPtr(), this.bytesToWrite, at);
  }

  /** Where in the file the write starts; -1: a stream's current position. */
  protected position(): number {
    return -1;
  }

  /** @internal */
  override complete(res: number, flags: number): void {
    if (this.zeroCopy) {
      // A zero-copy send completes twice: with the bytes sent (MORE), then
      // when the kernel no longer reads the buffer (NOTIF). The handler
      // hears once, at the second, so the block is free to reuse then.
      if (flags & CompletionFlag.MORE) {
        this.sent = res;
        this.zc = 'sent';
        return;
      }
      if (this.zc === 'settled') {
        // close() told the handler already; the block is free only now.
        this.zc = 'none';
        this.messageBlock.letGoFromKernel();
        return;
      }
      this.zc = 'none';
      if (flags & CompletionFlag.NOTIF) res = this.sent;
      if (res === -Errno.ENOTSOCK && this.owner) {
        // Not a socket (a pipe, a file): write it the ordinary way. If that
        // cannot start, the write completes with the reason, once.
        this.zeroCopy = false;
        try {
          this.owner.restart(this);
          return;
        } catch (e) {
          res = -(ProactorError.is(e) && e.errno !== undefined ? e.errno : Errno.EINVAL);
        }
      }
    }
    if (res > 0) {
      if (this.vectors) this.vectors.advanceRead(res);
      else this.messageBlock.rdPtr(res);
    }
    super.complete(res, flags);
  }

  /** @internal */
  override awaitsNotification(): boolean {
    return this.zc === 'sent';
  }

  /** @internal */
  override settled(): boolean {
    return this.zc === 'settled';
  }

  /** @internal */
  override settleEarly(): void {
    if (this.zc !== 'sent') return;
    this.zc = 'settled';
    // The kernel reads the block until its notification: the block says so.
    this.messageBlock.holdForKernel();
    const res = this.sent;
    if (res > 0) this.messageBlock.rdPtr(res);
    super.complete(res, 0);
  }

  protected dispatch(): void {
    this.handler()?.handleWriteStream(this);
  }
}
