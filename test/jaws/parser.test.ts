import fc from 'fast-check';
import { HttpRequestParser, type ParseOutcome } from '../../applications/jaws/HttpRequestParser';
import { DEFAULT_LIMITS } from '../../applications/jaws/JawsLimits';

const parser = new HttpRequestParser(DEFAULT_LIMITS);
const parse = (text: string | Buffer): ParseOutcome => {
  const buf = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  return parser.parse(buf, 0, buf.length);
};
const status = (text: string | Buffer) => {
  const o = parse(text);
  return o.kind === 'error' ? o.status : o.kind;
};
const ERROR_STATUSES = [400, 405, 413, 414, 431, 501, 505];

describe('the JAWS request parser', () => {
  it('should parse a request line and headers, lower-casing field names and joining repeats', () => {
    const o = parse('GET /a/b.html?x=1 HTTP/1.1\r\nHost: h\r\nAccept:  text/html \r\naccept: */*\r\n\r\nNEXT');
    expect(o.kind).toBe('request');
    if (o.kind !== 'request') return;
    expect(o.headBytes).toBe(Buffer.byteLength('GET /a/b.html?x=1 HTTP/1.1\r\nHost: h\r\nAccept:  text/html \r\naccept: */*\r\n\r\n'));
    expect(o.request).toMatchObject({ method: 'GET', target: '/a/b.html?x=1', minor: 1, keepAlive: true, contentLength: 0 });
    expect([...o.request.headers]).toEqual([
      ['host', 'h'],
      ['accept', 'text/html, */*'],
    ]);
  });

  it.each([
    ['HTTP/1.1 by default', 'GET / HTTP/1.1\r\nHost: h\r\n\r\n', true],
    ['HTTP/1.1 with close', 'GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n', false],
    ['HTTP/1.0 by default', 'GET / HTTP/1.0\r\n\r\n', false],
    ['HTTP/1.0 with keep-alive', 'HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', true],
  ])('should keep the connection as the version and Connection say: %s', (_what, text, keepAlive) => {
    const o = parse(text);
    expect(o.kind === 'request' && o.request.keepAlive).toBe(keepAlive);
  });

  it('should accept bare LF line ends and empty lines before the request line', () => {
    const o = parse('\r\n\nGET / HTTP/1.1\nHost: h\n\n');
    expect(o.kind).toBe('request');
  });

  it('should wait for more while the head is not whole', () => {
    const full = 'GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n';
    for (let n = 0; n < full.length; n++) expect(status(full.slice(0, n))).toBe('incomplete');
    expect(status(full)).toBe('request');
  });

  it.each([
    [400, 'no version (HTTP/0.9)', 'GET /\r\n\r\n'],
    [400, 'two spaces', 'GET  / HTTP/1.1\r\nHost: h\r\n\r\n'],
    [400, 'a lower-case version', 'GET / http/1.1\r\nHost: h\r\n\r\n'],
    [400, 'a two-digit version', 'GET / HTTP/1.10\r\nHost: h\r\n\r\n'],
    [400, 'a bad method character', 'G(ET / HTTP/1.1\r\nHost: h\r\n\r\n'],
    [400, 'a control character in the target', 'GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n'],
    [400, 'a bare CR', 'GET / HTTP/1.1\rHost: h\r\n\r\n'],
    [400, 'a field without a colon', 'GET / HTTP/1.1\r\nHost h\r\n\r\n'],
    [400, 'a space before the colon', 'GET / HTTP/1.1\r\nHost : h\r\n\r\n'],
    [400, 'obsolete line folding', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n'],
    [400, 'NUL in a field value', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n'],
    [400, 'HTTP/1.1 without Host', 'GET / HTTP/1.1\r\n\r\n'],
    [400, 'two Host fields', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    [400, 'a malformed Content-Length', 'GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n'],
    [400, 'conflicting Content-Lengths', 'GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'],
    [400, 'Transfer-Encoding with Content-Length', 'GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n'],
    [501, 'Transfer-Encoding', 'GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n'],
    [405, 'POST', 'POST / HTTP/1.1\r\nHost: h\r\n\r\n'],
    [405, 'a lower-case get', 'get / HTTP/1.1\r\nHost: h\r\n\r\n'],
    [505, 'HTTP/2.0', 'GET / HTTP/2.0\r\nHost: h\r\n\r\n'],
    [505, 'HTTP/1.2', 'GET / HTTP/1.2\r\nHost: h\r\n\r\n'],
    [413, 'a body over the limit', `GET / HTTP/1.1\r\nHost: h\r\nContent-Length: ${DEFAULT_LIMITS.maxBodyBytes + 1}\r\n\r\n`],
    [414, 'a target over the limit', `GET /${'a'.repeat(DEFAULT_LIMITS.maxUriBytes)} HTTP/1.1\r\nHost: h\r\n\r\n`],
    [414, 'a target over the limit, before its line ends', `GET /${'a'.repeat(DEFAULT_LIMITS.maxUriBytes)}`],
    [431, 'headers over the limit', `GET / HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(DEFAULT_LIMITS.maxHeaderBytes)}\r\n\r\n`],
    [431, 'headers over the limit, before the head ends', `GET / HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(DEFAULT_LIMITS.maxHeaderBytes)}`],
    [431, 'too many fields', `GET / HTTP/1.1\r\nHost: h\r\n${'X: y\r\n'.repeat(DEFAULT_LIMITS.maxHeaderCount)}\r\n`],
    [431, 'endless empty lines', '\r\n'.repeat(DEFAULT_LIMITS.maxHeaderBytes)],
  ])('should answer %i for %s', (expected, _what, text) => {
    expect(status(text)).toBe(expected);
  });

  it('should take a body within the limit, for the caller to discard', () => {
    const o = parse('GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello');
    expect(o.kind === 'request' && o.request.contentLength).toBe(5);
  });

  // The fuzz: about 100,000 inputs, a few seconds.
  const TOKEN_CHARS = "!#$%&'*+-.^_`|~ABCXYZabcxyz0189";
  const token = fc.stringOf(fc.constantFrom(...TOKEN_CHARS), { minLength: 1, maxLength: 8 });
  const fieldValue = fc.stringOf(fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c === 0x7f ? 0x20 : c)), { maxLength: 20 });
  const validRequest = fc.record({
    method: fc.constantFrom('GET', 'HEAD'),
    target: fc.stringOf(fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), { maxLength: 30 }).map((t) => `/${t}`),
    minor: fc.constantFrom(0, 1),
    fields: fc.array(fc.tuple(token, fieldValue), { maxLength: 6 }),
    lf: fc.constantFrom('\r\n', '\n'),
  });
  const text = (r: { method: string; target: string; minor: number; fields: [string, string][]; lf: string }) =>
    `${r.method} ${r.target} HTTP/1.${r.minor}${r.lf}Host: h${r.lf}${r.fields.map(([n, v]) => `X-${n}: ${v.trim()}${r.lf}`).join('')}${r.lf}`;
  const mutated = fc.tuple(validRequest, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })).map(([r, edits]) => {
    const buf = Buffer.from(text(r), 'latin1');
    for (const [at, byte] of edits) buf[at % buf.length] = byte;
    return buf;
  });
  const anyInput = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    fc.stringOf(fc.constantFrom('GET', 'HEAD', ' ', '/', 'HTTP/1.1', '\r\n', '\n', '\r', ':', 'Host', 'a', '%', '\x00'), { maxLength: 40 }).map((s) => Buffer.from(s, 'latin1')),
    mutated,
  );

  it('should never throw, and answer every input with incomplete, a GET/HEAD request or an error status (fuzz)', () => {
    fc.assert(
      fc.property(anyInput, fc.nat(), (buf, cut) => {
        const whole = parser.parse(buf, 0, buf.length);
        if (whole.kind === 'error') return ERROR_STATUSES.includes(whole.status);
        if (whole.kind === 'request') {
          if (!['GET', 'HEAD'].includes(whole.request.method) || whole.headBytes > buf.length) return false;
          // Any part of a head that parses is incomplete: the server waits for the rest, it does not answer early.
          return parser.parse(buf, 0, cut % whole.headBytes).kind === 'incomplete';
        }
        return buf.length <= DEFAULT_LIMITS.maxHeaderBytes;
      }),
      { numRuns: 80_000 },
    );
  });

  it('should give back every well-formed request as it was sent, whole or fed in two parts (fuzz)', () => {
    fc.assert(
      fc.property(validRequest, fc.nat(), (r, cut) => {
        const buf = Buffer.from(text(r), 'latin1');
        const o = parser.parse(buf, 0, buf.length);
        if (o.kind !== 'request' || o.headBytes !== buf.length) return false;
        const { method, target, minor, headers } = o.request;
        if (method !== r.method || target !== r.target || minor !== r.minor) return false;
        if (!r.fields.every(([n, v]) => headers.get(`x-${n.toLowerCase()}`)?.includes(v.trim()))) return false;
        return parser.parse(buf, 0, cut % buf.length).kind === 'incomplete';
      }),
      { numRuns: 20_000 },
    );
  });
});
