import { fstatSync } from 'node:fs';
import { type Handle } from '../common/Handle';
import { type MessageBlock } from '../common/MessageBlock';
import { ProactorError } from '../common/ProactorError';
import { Errno } from '../common/errno';
import { AsynchOperation } from './AsynchOperation';
import { checkOffset } from './AsynchReadFile';
import { AsynchTransmitFileResult } from './results/AsynchTransmitFileResult';

/** The most file bytes one native send is asked for when bytesPerSend is 0. */
const DEFAULT_CHUNK = 1 << 20;
/** The most one native send can be asked for (Linux's sendfile limit). */
const MAX_CHUNK = 0x7ffff000;

/**
 * ACE_Asynch_Transmit_File::Header_And_Trailer — the bytes a transmit-file
 * sends before and after the file: the readable bytes of a header block
 * and of a trailer block (either may be absent).
 *
 * @example
 * const ht = new HeaderAndTrailer(MessageBlock.from('HTTP/1.1 200 OK\r\n\r\n'));
 */
export class HeaderAndTrailer {
  private readonly headerBytes_: number;
  private readonly trailerBytes_: number;

  /** headerBytes and trailerBytes default to the blocks' length(). */
  constructor(
    private readonly header_: MessageBlock | null = null,
    headerBytes?: number,
    private readonly trailer_: MessageBlock | null = null,
    trailerBytes?: number,
  ) {
    this.headerBytes_ = checkPart('header', header_, headerBytes);
    this.trailerBytes_ = checkPart('trailer', trailer_, trailerBytes);
  }

  /** The block whose readable bytes go before the file (null: none). */
  header(): MessageBlock | null {
    return this.header_;
  }

  /** How many of the header's readable bytes are sent. */
  headerBytes(): number {
    return this.headerBytes_;
  }

  /** The block whose readable bytes go after the file (null: none). */
  trailer(): MessageBlock | null {
    return this.trailer_;
  }

  /** How many of the trailer's readable bytes are sent. */
  trailerBytes(): number {
    return this.trailerBytes_;
  }
}

function checkPart(what: string, mb: MessageBlock | null, bytes: number | undefined): number {
  if (mb === null || mb === undefined) {
    if (bytes !== undefined && bytes !== 0) throw new ProactorError('invalid-argument', `HeaderAndTrailer: ${what}Bytes ${bytes} without a ${what}`);
    return 0;
  }
  const n = bytes ?? mb.length();
  if (!Number.isInteger(n) || n < 0 || n > mb.length()) {
    throw new ProactorError('invalid-argument', `HeaderAndTrailer: ${what}Bytes ${n} is not within 0..${mb.length()} (the ${what} block length)`);
  }
  return n;
}

/**
 * ACE_Asynch_Transmit_File — POSA2 Asynchronous Operation: sends a file on
 * a connected socket, between an optional header and trailer, with the
 * file's bytes going from the page cache to the socket inside the kernel
 * (io_uring: splice through a pipe; epoll: sendfile). One completion,
 * handleTransmitFile, once header, file bytes and trailer are all sent or
 * an error stopped it.
 *
 * @example
 * const tf = new AsynchTransmitFile();
 * tf.open(handler, socket);
 * const file = fs.openSync('index.html', 'r');
 * tf.transmitFile(file, new HeaderAndTrailer(MessageBlock.from(responseHead)));   // → handler.handleTransmitFile(result)
 */
export class AsynchTransmitFile extends AsynchOperation {
  /**
   * Sends the header, bytesToWrite bytes of file from offset (0: up to the
   * end of the file), then the trailer. bytesPerSend (0: as the kernel
   * likes) bounds each send of file bytes. The file must be a regular file
   * open for reading; a handle that is not throws ProactorError. Start the
   * next send on the socket (a write, another transmit-file) from this
   * one's handler: header, file and trailer go as several sends, and
   * another send started meanwhile could land between them.
   */
  transmitFile(
    file: Handle,
    headerAndTrailer: HeaderAndTrailer | null,
    bytesToWrite = 0,
    offset = 0,
    bytesPerSend = 0,
    act?: unknown,
    priority = 0,
    signalNumber = 0,
  ): void {
    this.start(this.makeResult('transmitFile', file, headerAndTrailer, bytesToWrite, offset, bytesPerSend, act, priority, signalNumber));
  }

  /**
   * The Promise form of transmitFile(): resolves with the result (success or
   * not) instead of calling the handler; aborting signal cancels it.
   */
  transmitFileAsync(
    file: Handle,
    headerAndTrailer: HeaderAndTrailer | null,
    bytesToWrite = 0,
    offset = 0,
    bytesPerSend = 0,
    options: { act?: unknown; signal?: AbortSignal } = {},
  ): Promise<AsynchTransmitFileResult> {
    const result = this.makeResult('transmitFileAsync', file, headerAndTrailer, bytesToWrite, offset, bytesPerSend, options.act, 0, 0);
    return this.startAsync(result, options.signal);
  }

  private makeResult(
    what: string,
    file: Handle,
    headerAndTrailer: HeaderAndTrailer | null,
    bytesToWrite: number,
    offset: number,
    bytesPerSend: number,
    act: unknown,
    priority: number,
    signalNumber: number,
  ): AsynchTransmitFileResult {
    const handler = this.openHandler();
    const name = `${this.constructor.name}.${what}`;
    if (!this.proactor().implementation().supports('sendfile')) {
      throw new ProactorError('unsupported', `${name}: the ${this.proactor().implementation().name} backend cannot send a file`);
    }
    checkOffset(offset);
    if (!Number.isSafeInteger(bytesToWrite) || bytesToWrite < 0) {
      throw new ProactorError('invalid-argument', `${name}: bytesToWrite must be a whole number from 0 (to the end of the file), got ${bytesToWrite}`);
    }
    if (!Number.isInteger(bytesPerSend) || bytesPerSend < 0) {
      throw new ProactorError('invalid-argument', `${name}: bytesPerSend must be a whole number from 0 (as the kernel likes), got ${bytesPerSend}`);
    }
    const size = fileSize(name, file);
    const fileBytes = bytesToWrite > 0 ? bytesToWrite : Math.max(0, size - offset);
    const chunk = Math.min(bytesPerSend > 0 ? bytesPerSend : DEFAULT_CHUNK, MAX_CHUNK);
    return new AsynchTransmitFileResult(
      handler, this.handle_, file, headerAndTrailer, bytesToWrite, offset, bytesPerSend, fileBytes, chunk,
      act, this.completionKey_, priority, signalNumber, this,
    );
  }
}

/** The size of the regular file open as file; throws ProactorError for anything else. */
function fileSize(name: string, file: Handle): number {
  if (!Number.isInteger(file) || file < 0) {
    throw new ProactorError('invalid-argument', `${name}: the file handle must be an open file descriptor, got ${file}`);
  }
  let stat;
  try {
    stat = fstatSync(file);
  } catch (e) {
    // By its name: Node's errno numbers are libuv's, which are not the
    // platform's on win32 (UV_EBADF is -4083 there).
    const code = (e as NodeJS.ErrnoException).code ?? 'EBADF';
    const errno = (Errno as Record<string, number | undefined>)[code] ?? Errno.EBADF;
    throw new ProactorError('invalid-argument', `${name}: file handle ${file}: ${code}`, errno, 'fstat');
  }
  if (!stat.isFile()) throw new ProactorError('invalid-argument', `${name}: file handle ${file} is not a regular file`);
  return stat.size;
}
