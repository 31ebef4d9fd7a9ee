import { type Handle } from '../../framework/common/Handle';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { SockStream } from '../../framework/common/SockStream';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { AsynchTransmitFile, HeaderAndTrailer } from '../../framework/proactor/AsynchTransmitFile';
import { AsynchWriteStream } from '../../framework/proactor/AsynchWriteStream';
import { ServiceHandler } from '../../framework/proactor/ServiceHandler';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { type AsynchTransmitFileResult } from '../../framework/proactor/results/AsynchTransmitFileResult';
import { type AsynchWriteStreamResult } from '../../framework/proactor/results/AsynchWriteStreamResult';
import { type InetAddr } from '../../framework/common/InetAddr';
import { type HttpRequest } from './HttpRequest';
import { HttpRequestParser } from './HttpRequestParser';
import { type JawsServer } from './JawsServer';
import { type FileLease } from './OpenFileCache';
import { decodeTarget } from './RequestTarget';
import { byteRange } from './byteRange';
import { errorResponse, httpDate, responseHead } from './responseHead';

/** Where a connection is in its life; the server's timer sweep reads deadline and phase. */
export type HttpPhase = 'idle' | 'head' | 'responding' | 'lingering' | 'closed';

/** Extra bytes of read buffer past the head limit, so that one read can bring the next pipelined request too. */
const READ_SLACK = 4096;
/** Shutting down: the longest a closed response waits for the client to close its side. */
const LINGER_WHEN_DRAINING_MS = 1000;

/**
 * The HTTP_Handler of the paper's JAWS — the Proactive Initiator and
 * Completion Handler of one connection: it reads the request head
 * asynchronously (AsynchReadStream), parses it, and answers a file with one
 * AsynchTransmitFile whose header is the response head, so that the body
 * goes from the file to the socket without passing through JavaScript.
 * Error responses and answers without a body (HEAD, 304) are written with
 * AsynchWriteStream. Requests are answered one at a time, in order
 * (pipelining: what follows a request waits in the read buffer).
 */
export class HttpHandler extends ServiceHandler {
  /** Monotonic ms at which the server's sweep acts on this connection (0: none). */
  deadline = 0;
  phase: HttpPhase = 'idle';
  private readonly rs = new AsynchReadStream();
  private readonly ws = new AsynchWriteStream();
  private readonly tf = new AsynchTransmitFile();
  private readonly parser: HttpRequestParser;
  private readonly in: MessageBlock;
  /** Body bytes of the last request still to read and discard. */
  private skip = 0;
  private keepAlive = false;
  /** The file a transmit in flight sends; given back when it completes. */
  private lease: FileLease | undefined;
  /** Stop after the response in flight (the server is shutting down). */
  private draining = false;
  /** The client's address, when the server asked for it (access log). */
  remote: InetAddr | undefined;

  constructor(private readonly server: JawsServer) {
    super();
    this.parser = new HttpRequestParser(server.limits);
    this.in = new MessageBlock(server.limits.maxHeaderBytes + READ_SLACK);
  }

  override open(handle: Handle): void {
    // The head and the body go out as separate sends: Nagle would hold the body back for the head's ACK.
    new SockStream(handle).setNoDelay(true);
    this.rs.open(this, handle);
    this.ws.open(this, handle);
    this.tf.open(this, handle);
    if (!this.server.opened(this)) return this.close();
    this.expect('head');
    this.rs.read(this.in, this.in.space());
  }

  override addresses(remote: InetAddr): void {
    this.remote = remote;
  }

  override handleReadStream(r: AsynchReadStreamResult): void {
    if (this.phase === 'closed') return;
    if (!r.success || r.bytesTransferred === 0) return this.close(r.success ? undefined : r.errorCode);
    if (this.phase === 'lingering') {
      this.in.reset();
      return this.rs.read(this.in, this.in.space());
    }
    this.serveInput();
  }

  override handleWriteStream(r: AsynchWriteStreamResult): void {
    if (this.phase === 'closed') return;
    if (!r.success) return this.close(r.errorCode);
    const mb = r.messageBlock;
    if (mb.length() > 0) return this.ws.write(mb, mb.length());
    this.responded();
  }

  override handleTransmitFile(r: AsynchTransmitFileResult): void {
    this.closeFile();
    if (this.phase === 'closed') return;
    if (!r.success) return this.close(r.errorCode);
    this.responded();
  }

  /** The sweep found the deadline passed. */
  expire(): void {
    this.deadline = 0;
    if (this.phase === 'head') {
      this.server.stats.timedOut++;
      this.sendError(408, 'no whole request head in time');
    } else {
      this.close();
    }
  }

  /** Shutting down: idle connections close now, a response in flight finishes first. */
  drain(): void {
    this.draining = true;
    if (this.phase === 'idle' || this.phase === 'head' || this.phase === 'lingering') this.close();
  }

  /** Closes the connection once; what is in flight completes cancelled. */
  close(errorCode?: string): void {
    if (this.phase === 'closed') return;
    if (errorCode !== undefined) this.server.stats.failed++;
    this.phase = 'closed';
    this.deadline = 0;
    const handle = this.handle();
    void this.proactor()!
      .closeHandle(handle)
      .catch(() => undefined)
      .finally(() => this.server.closed(this));
  }

  /** Answers every whole request in the buffer, one at a time; reads when it needs more. */
  private serveInput(): void {
    if (this.skip > 0) {
      const n = Math.min(this.skip, this.in.length());
      this.in.rdPtr(n);
      this.skip -= n;
    }
    if (this.in.length() === 0) {
      this.in.reset();
      if (this.phase !== 'head') this.expect(this.skip > 0 ? 'head' : 'idle');
      return this.rs.read(this.in, this.in.space());
    }
    if (this.skip > 0) return this.rs.read(this.in, this.in.space());
    const outcome = this.parser.parse(this.in.buffer, this.in.rdPtr(), this.in.wrPtr());
    if (outcome.kind === 'incomplete') {
      if (this.phase !== 'head') this.expect('head');
      this.in.crunch();
      return this.rs.read(this.in, this.in.space());
    }
    if (outcome.kind === 'error') {
      this.server.stats.refused++;
      return this.sendError(outcome.status, outcome.reason, outcome.status === 405 ? 'Allow: GET, HEAD\r\n' : '');
    }
    this.in.rdPtr(outcome.headBytes);
    this.skip = outcome.request.contentLength;
    this.respond(outcome.request);
  }

  private respond(request: HttpRequest): void {
    this.phase = 'responding';
    this.deadline = 0;
    this.server.stats.requests++;
    this.keepAlive = request.keepAlive && !this.draining;
    const head = request.method === 'HEAD';
    const target = decodeTarget(request.target);
    if (!target.ok) return this.sendError(target.status, target.reason, '', request);
    const lease = this.server.files.acquire(target, this.server.now());
    if (!lease.ok) {
      this.server.log(this, request, lease.status);
      return this.write(errorResponse(lease.status, this.keepAlive, head));
    }
    const { file } = lease;
    const modified = `Last-Modified: ${httpDate(file.mtimeSec)}\r\n`;
    const since = Date.parse(request.headers.get('if-modified-since') ?? '');
    if (!Number.isNaN(since) && file.mtimeSec <= Math.floor(since / 1000)) {
      this.server.files.release(lease);
      this.server.log(this, request, 304);
      return this.write(responseHead(304, modified, this.keepAlive));
    }
    const ifRange = request.headers.get('if-range');
    const rangeField = head || (ifRange !== undefined && ifRange !== httpDate(file.mtimeSec)) ? undefined : request.headers.get('range');
    const range = byteRange(rangeField, file.size);
    if (range.kind === 'unsatisfiable') {
      this.server.files.release(lease);
      this.server.log(this, request, 416);
      return this.write(errorResponse(416, this.keepAlive, head, `Content-Range: bytes */${file.size}\r\n`));
    }
    const first = range.kind === 'part' ? range.first : 0;
    const length = range.kind === 'part' ? range.last - range.first + 1 : file.size;
    const fields =
      `Content-Type: ${file.contentType}\r\nContent-Length: ${length}\r\n${modified}Accept-Ranges: bytes\r\n` +
      (range.kind === 'part' ? `Content-Range: bytes ${first}-${range.last}/${file.size}\r\n` : '');
    const status = range.kind === 'part' ? 206 : 200;
    this.server.log(this, request, status);
    const headText = responseHead(status, fields, this.keepAlive);
    if (head || length === 0) {
      this.server.files.release(lease);
      return this.write(headText);
    }
    const header = MessageBlock.from(headText);
    this.lease = lease;
    this.server.stats.bodyBytes += length;
    this.tf.transmitFile(file.fd, new HeaderAndTrailer(header, header.length()), length, first);
  }

  /**
   * Answers status and closes after it, reading and discarding what the
   * client still sends; logged with request, or "-" when none was read.
   */
  private sendError(status: number, reason: string, extraFields = '', request?: HttpRequest): void {
    this.server.note(`${status}: ${reason}`);
    this.server.log(this, request, status);
    this.phase = 'responding';
    this.keepAlive = false;
    this.write(errorResponse(status, false, false, extraFields));
  }

  private write(text: string): void {
    const mb = MessageBlock.from(text);
    this.ws.write(mb, mb.length());
  }

  /** A response is out: the next request, or the end of the connection. */
  private responded(): void {
    this.server.stats.responses++;
    if (!this.keepAlive || this.draining) return this.linger();
    this.phase = 'idle';
    this.serveInput();
  }

  /**
   * Closes the write side, then reads and discards until the client closes
   * (or the idle timeout): closing at once with unread bytes would reset
   * the connection and could destroy the response before the client has it.
   */
  private linger(): void {
    this.phase = 'lingering';
    const { idleTimeoutMs } = this.server.limits;
    this.deadline = this.server.now() + (this.draining ? Math.min(idleTimeoutMs, LINGER_WHEN_DRAINING_MS) : idleTimeoutMs);
    try {
      new SockStream(this.handle()).closeWriter();
    } catch {
      return this.close();
    }
    this.in.reset();
    this.rs.read(this.in, this.in.space());
  }

  private expect(phase: 'idle' | 'head'): void {
    this.phase = phase;
    const { headerTimeoutMs, idleTimeoutMs } = this.server.limits;
    this.deadline = this.server.now() + (phase === 'head' ? headerTimeoutMs : idleTimeoutMs);
  }

  private closeFile(): void {
    if (!this.lease) return;
    this.server.files.release(this.lease);
    this.lease = undefined;
  }
}
