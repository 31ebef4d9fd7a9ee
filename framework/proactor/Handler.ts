import { INVALID_HANDLE, type Handle } from '../common/Handle';
import { type AsynchAcceptResult } from './results/AsynchAcceptResult';
import { type AsynchConnectResult } from './results/AsynchConnectResult';
import { type AsynchReadFileResult } from './results/AsynchReadFileResult';
import { type AsynchReadStreamResult } from './results/AsynchReadStreamResult';
import { type AsynchTransmitFileResult } from './results/AsynchTransmitFileResult';
import { type AsynchWriteFileResult } from './results/AsynchWriteFileResult';
import { type AsynchWriteStreamResult } from './results/AsynchWriteStreamResult';
import { type Proactor } from './Proactor';

/**
 * ACE_Handler — POSA2 Completion Handler. Subclass it and override the hooks
 * for the operations you start; the Proactor calls them, one at a time, with
 * the operation's result.
 *
 * @example
 * class Reader extends Handler {
 *   override handleReadStream(result: AsynchReadStreamResult) {
 *     if (result.success && result.bytesTransferred > 0) console.log(result.messageBlock.data());
 *   }
 * }
 */
export class Handler {
  private proactor_: Proactor | undefined;
  private handle_: Handle = INVALID_HANDLE;

  constructor(proactor?: Proactor) {
    this.proactor_ = proactor;
  }

  /** An AsynchReadStream.read/readv finished. */
  handleReadStream(_result: AsynchReadStreamResult): void {}
  /** An AsynchWriteStream.write/writev finished. */
  handleWriteStream(_result: AsynchWriteStreamResult): void {}
  /** An AsynchReadFile.read/readv finished. */
  handleReadFile(_result: AsynchReadFileResult): void {}
  /** An AsynchWriteFile.write/writev finished. */
  handleWriteFile(_result: AsynchWriteFileResult): void {}
  /** An AsynchAccept.accept finished. */
  handleAccept(_result: AsynchAcceptResult): void {}
  /** An AsynchConnect.connect finished. */
  handleConnect(_result: AsynchConnectResult): void {}
  /** An AsynchTransmitFile.transmitFile finished: header, file bytes and trailer sent, or an error stopped it. */
  handleTransmitFile(_result: AsynchTransmitFileResult): void {}
  /** A timer from Proactor.scheduleTimer expired; `time` is Date.now() then. */
  handleTimeOut(_time: number, _act: unknown): void {}
  /** A completion posted by Proactor.proactorPostWakeupCompletions. */
  handleWakeup(): void {}

  /** The Proactor this handler's operations default to. */
  proactor(): Proactor | undefined;
  proactor(proactor: Proactor): void;
  proactor(proactor?: Proactor): Proactor | undefined | void {
    if (proactor === undefined) return this.proactor_;
    this.proactor_ = proactor;
  }

  /** The I/O handle this handler works on (INVALID_HANDLE when none). */
  handle(): Handle;
  handle(handle: Handle): void;
  handle(handle?: Handle): Handle | void {
    if (handle === undefined) return this.handle_;
    this.handle_ = handle;
  }
}
