import { type Handle, handleCloses } from '../../common/Handle';
import { ProactorError } from '../../common/ProactorError';
import { Errno } from '../../common/errno';
import { type NativeProactor } from '../../native/NativeBinding';
import { type AsynchOperation } from '../AsynchOperation';
import { AsynchResult } from '../AsynchResult';
import { type HeaderAndTrailer } from '../AsynchTransmitFile';
import { type Handler } from '../Handler';

/** What a transmit-file sends next. */
type Phase = 'header' | 'file' | 'trailer' | 'nothing';

/**
 * ACE_Asynch_Transmit_File::Result — the outcome of a transmit-file: the
 * header, then bytesToWrite bytes of the file from offset, then the
 * trailer, sent on a socket. It completes once, when all three are sent or
 * an error stopped it; bytesTransferred counts what was sent of all three
 * (after closeHandle, what was sent before the chunk it interrupted). The
 * header's and trailer's rdPtr move past the bytes sent, as a write's do.
 */
export class AsynchTransmitFileResult extends AsynchResult {
  /** Where in the file the next file bytes come from. */
  private position: number;
  /** What is left of each part. */
  private headerLeft: number;
  private fileLeft: number;
  private trailerLeft: number;
  private phase: Phase = 'nothing';
  /** Header, file and trailer bytes sent so far. */
  private sent = 0;
  private cancelAsked = false;
  /** handleCloses(socket) at initiation: a close since then stops the next phase. */
  private readonly closesAtStart: number;

  constructor(
    handler: Handler | null,
    private readonly socket_: Handle,
    private readonly file_: Handle,
    private readonly headerAndTrailer_: HeaderAndTrailer | null,
    private readonly bytesToWrite_: number,
    /** The file offset the file bytes start at. */
    readonly offset: number,
    private readonly bytesPerSend_: number,
    /** File bytes to send (bytesToWrite, or up to the end of the file when it is 0) */
    fileBytes: number,
    /** The most file bytes one native send is asked for */
    private readonly chunk: number,
    act: unknown,
    completionKey: unknown,
    priority: number,
    signalNumber: number,
    owner: AsynchOperation | null,
  ) {
    super(handler, act, completionKey, priority, signalNumber, owner);
    this.closesAtStart = handleCloses(socket_);
    this.position = offset;
    this.headerLeft = headerAndTrailer_?.header() ? headerAndTrailer_.headerBytes() : 0;
    this.fileLeft = fileBytes;
    this.trailerLeft = headerAndTrailer_?.trailer() ? headerAndTrailer_.trailerBytes() : 0;
    this.phase = this.nextPhase();
  }

  /** The socket the bytes went to. */
  socket(): Handle {
    return this.socket_;
  }

  /** The file the bytes came from. */
  file(): Handle {
    return this.file_;
  }

  /** The header and trailer given at initiation (null: none). */
  headerAndTrailer(): HeaderAndTrailer | null {
    return this.headerAndTrailer_;
  }

  /** The file bytes asked for (0: up to the end of the file). */
  bytesToWrite(): number {
    return this.bytesToWrite_;
  }

  /** The bytes asked for per send (0: as the kernel likes). */
  bytesPerSend(): number {
    return this.bytesPerSend_;
  }

  /** The upper 32 bits of offset (ACE's offset_high()). */
  get offsetHigh(): number {
    return Math.floor(this.offset / 0x100000000);
  }

  /** ACE's TransmitFile flags; none are defined here (always 0). */
  flags(): number {
    return 0;
  }

  /** @internal */
  override cancelRequested(): void {
    this.cancelAsked = true;
  }

  /** @internal */
  prepare(native: NativeProactor): number {
    switch (this.phase) {
      case 'header': {
        const mb = this.headerAndTrailer_!.header()!;
        return native.write(this.slot, this.gen, this.socket_, mb.buffer, mb.rdPtr(), this.headerLeft, -1);
      }
      case 'file':
        return native.sendfile(this.slot, this.gen, this.socket_, this.file_, this.position, Math.min(this.fileLeft, this.chunk));
      case 'trailer': {
        const mb = this.headerAndTrailer_!.trailer()!;
        return native.write(this.slot, this.gen, this.socket_, mb.buffer, mb.rdPtr(), this.trailerLeft, -1);
      }
      case 'nothing':
        // Nothing to send: it still completes once, through the proactor.
        return native.nop(this.slot, this.gen);
    }
  }

  /** @internal One part's send finished: go on with the rest, or complete. */
  override complete(res: number): void {
    if (res < 0) return this.finish(res);
    switch (this.phase) {
      case 'header':
        this.headerAndTrailer_!.header()!.rdPtr(res);
        this.headerLeft -= res;
        break;
      case 'file':
        // 0: the file ended before bytesToWrite; the trailer follows.
        if (res === 0) this.fileLeft = 0;
        this.position += res;
        this.fileLeft -= res;
        break;
      case 'trailer':
        this.headerAndTrailer_!.trailer()!.rdPtr(res);
        this.trailerLeft -= res;
        break;
      case 'nothing':
        return this.finish(0);
    }
    this.sent += res;
    if (res === 0 && this.phase !== 'file') return this.finish(-Errno.EIO);
    this.phase = this.nextPhase();
    if (this.phase === 'nothing') return this.finish(0);
    // A cancel that lost the race with this part still stops the rest; so
    // does a close of the socket, whose number a new socket may take.
    if (this.cancelAsked || handleCloses(this.socket_) !== this.closesAtStart) return this.finish(-Errno.ECANCELED);
    try {
      this.owner!.restart(this);
    } catch (e) {
      this.finish(-(ProactorError.is(e) && e.errno !== undefined ? e.errno : Errno.EINVAL));
    }
  }

  private nextPhase(): Phase {
    if (this.headerLeft > 0) return 'header';
    if (this.fileLeft > 0) return 'file';
    if (this.trailerLeft > 0) return 'trailer';
    return 'nothing';
  }

  /** Completes the whole transmit-file: res < 0 is its error; bytesTransferred is what was sent, failed or not. */
  private finish(res: number): void {
    this.more = false;
    this.success = res >= 0;
    this.error = res < 0 ? -res : 0;
    this.bytesTransferred = this.sent;
    if (this.settle) this.settle(this);
    else this.dispatch();
  }

  protected dispatch(): void {
    this.handler()?.handleTransmitFile(this);
  }
}
