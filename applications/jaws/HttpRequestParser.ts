import { type HttpRequest } from './HttpRequest';
import { type JawsLimits } from './JawsLimits';

/** What parse() makes of the bytes it was given. */
export type ParseOutcome =
  /** No whole head yet, and nothing wrong so far: read more. */
  | { kind: 'incomplete' }
  /** A whole head of headBytes bytes (any body follows it). */
  | { kind: 'request'; request: HttpRequest; headBytes: number }
  /** The answer is this status, and the connection closes after it. */
  | { kind: 'error'; status: number; reason: string };

const LF = 0x0a;
const CR = 0x0d;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TARGET = /^[\x21-\x7e]+$/;
const VERSION = /^HTTP\/([0-9])\.([0-9])$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const DIGITS = /^[0-9]{1,15}$/;
/** The methods JAWS serves; any other well-formed one is 405. */
export const ALLOWED_METHODS = ['GET', 'HEAD'] as const;

function error(status: number, reason: string): ParseOutcome {
  return { kind: 'error', status, reason };
}

/**
 * The request head parser of JAWS: HTTP/1.1 and HTTP/1.0 request lines and
 * header fields (RFC 9112), strict about syntax, with the size limits
 * checked as bytes arrive, so that a client cannot make it hold more than
 * maxHeaderBytes. It never throws: anything it cannot accept is an error
 * outcome with the status to answer.
 *
 * @example
 * const outcome = new HttpRequestParser(DEFAULT_LIMITS).parse(mb.buffer, mb.rdPtr(), mb.wrPtr());
 */
export class HttpRequestParser {
  constructor(private readonly limits: Pick<JawsLimits, 'maxHeaderBytes' | 'maxUriBytes' | 'maxHeaderCount' | 'maxBodyBytes'>) {}

  /** Parses the head that starts at buf[start] (bytes up to end are what has arrived). */
  parse(buf: Buffer, start: number, end: number): ParseOutcome {
    let p = start;
    // Empty lines before a request line are allowed (RFC 9112 §2.2).
    while (p < end && (buf[p] === CR || buf[p] === LF)) p++;
    const lineEnd = buf.indexOf(LF, p);
    if (lineEnd < 0 || lineEnd >= end) return this.partialRequestLine(buf, start, p, end);
    if (lineEnd + 1 - start > this.limits.maxHeaderBytes) return this.tooLong(buf, p, lineEnd);
    const first = this.requestLine(this.line(buf, p, lineEnd));
    if (first.kind === 'error') return first;

    const headers = new Map<string, string>();
    let count = 0;
    let contentLength = -1;
    for (let s = lineEnd + 1; ; ) {
      const lf = buf.indexOf(LF, s);
      if (lf < 0 || lf >= end) {
        return end - start > this.limits.maxHeaderBytes ? error(431, 'request header fields too large') : { kind: 'incomplete' };
      }
      if (lf + 1 - start > this.limits.maxHeaderBytes) return error(431, 'request header fields too large');
      const line = this.line(buf, s, lf);
      s = lf + 1;
      if (line === null) return error(400, 'bare CR in the request head');
      if (line === '') {
        const request = { ...first.request, headers, contentLength: Math.max(contentLength, 0) };
        return this.complete(request, s - start);
      }
      if (++count > this.limits.maxHeaderCount) return error(431, `more than ${this.limits.maxHeaderCount} header fields`);
      if (line.charCodeAt(0) === 0x20 || line.charCodeAt(0) === 0x09) return error(400, 'obsolete line folding');
      const colon = line.indexOf(':');
      if (colon <= 0) return error(400, 'a header line without a field name and colon');
      const name = line.slice(0, colon);
      if (!TOKEN.test(name)) return error(400, 'a malformed header field name');
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      if (!FIELD_VALUE.test(value)) return error(400, 'a control character in a header field value');
      const key = name.toLowerCase();
      if (key === 'content-length') {
        if (!DIGITS.test(value)) return error(400, 'a malformed Content-Length');
        const n = Number(value);
        if (contentLength >= 0 && n !== contentLength) return error(400, 'conflicting Content-Length fields');
        contentLength = n;
        continue;
      }
      if (key === 'host' && headers.has('host')) return error(400, 'more than one Host field');
      const before = headers.get(key);
      headers.set(key, before === undefined ? value : `${before}, ${value}`);
    }
  }

  /** The line buf[s, lf) without its CR; null if a CR stands anywhere else. */
  private line(buf: Buffer, s: number, lf: number): string | null {
    const e = lf > s && buf[lf - 1] === CR ? lf - 1 : lf;
    const text = buf.toString('latin1', s, e);
    return text.includes('\r') ? null : text;
  }

  private requestLine(line: string | null): { kind: 'line'; request: Omit<HttpRequest, 'headers' | 'contentLength'> } | Extract<ParseOutcome, { kind: 'error' }> {
    if (line === null) return { kind: 'error', status: 400, reason: 'bare CR in the request line' };
    const parts = line.split(' ');
    if (parts.length !== 3) return { kind: 'error', status: 400, reason: 'a request line is method SP target SP version' };
    const [method, target, version] = parts;
    if (!TOKEN.test(method)) return { kind: 'error', status: 400, reason: 'a malformed method' };
    if (target.length > this.limits.maxUriBytes) return { kind: 'error', status: 414, reason: `a request target over ${this.limits.maxUriBytes} bytes` };
    if (!TARGET.test(target)) return { kind: 'error', status: 400, reason: 'a malformed request target' };
    const v = VERSION.exec(version);
    if (!v) return { kind: 'error', status: 400, reason: 'a malformed HTTP version' };
    if (v[1] !== '1' || (v[2] !== '0' && v[2] !== '1')) return { kind: 'error', status: 505, reason: `${version} is not served` };
    return { kind: 'line', request: { method, target, minor: v[2] === '1' ? 1 : 0, keepAlive: false } };
  }

  private complete(request: HttpRequest, headBytes: number): ParseOutcome {
    const h = request.headers;
    if (request.minor === 1 && !h.has('host')) return error(400, 'HTTP/1.1 without a Host field');
    if (h.has('transfer-encoding')) {
      return request.contentLength > 0 || h.has('content-length') ? error(400, 'both Transfer-Encoding and Content-Length') : error(501, 'a request body with Transfer-Encoding');
    }
    if (!(ALLOWED_METHODS as readonly string[]).includes(request.method)) return error(405, `${request.method} is not allowed`);
    if (request.contentLength > this.limits.maxBodyBytes) return error(413, `a body over ${this.limits.maxBodyBytes} bytes`);
    const connection = (h.get('connection') ?? '').toLowerCase().split(',').map((t) => t.trim());
    request.keepAlive = request.minor === 1 ? !connection.includes('close') : connection.includes('keep-alive');
    return { kind: 'request', request, headBytes };
  }

  /** No LF yet: wait, unless what has come is already too long (or already wrong). */
  private partialRequestLine(buf: Buffer, start: number, p: number, end: number): ParseOutcome {
    const sp = buf.indexOf(0x20, p);
    if (sp >= 0 && sp < end) {
      const sp2 = buf.indexOf(0x20, sp + 1);
      const targetEnd = sp2 >= 0 && sp2 < end ? sp2 : end;
      if (targetEnd - sp - 1 > this.limits.maxUriBytes) return error(414, `a request target over ${this.limits.maxUriBytes} bytes`);
    }
    return end - start > this.limits.maxHeaderBytes ? error(431, 'request header fields too large') : { kind: 'incomplete' };
  }

  /** A request line longer than the whole head may be: 414 if its target is what is long. */
  private tooLong(buf: Buffer, p: number, lf: number): ParseOutcome {
    const sp = buf.indexOf(0x20, p);
    const sp2 = sp >= 0 && sp < lf ? buf.indexOf(0x20, sp + 1) : -1;
    const targetEnd = sp2 >= 0 && sp2 < lf ? sp2 : lf;
    if (sp >= 0 && sp < lf && targetEnd - sp - 1 > this.limits.maxUriBytes) return error(414, `a request target over ${this.limits.maxUriBytes} bytes`);
    return error(431, 'request header fields too large');
  }
}
