/** What a request target names under the document root, or why it names nothing. */
export type TargetPath =
  /** The decoded path segments under the root ([] for the root itself); dir: the target ended in '/'. */
  | { ok: true; segments: string[]; dir: boolean }
  | { ok: false; status: 400; reason: string };

const HEX = /^[0-9A-Fa-f]{2}$/;
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]+/i;

function refuse(reason: string): TargetPath {
  return { ok: false, status: 400, reason };
}

/**
 * Turns a request target into path segments under the document root,
 * refusing whatever could name something outside it or is not plainly a
 * path: a target that is not origin-form ('/…') or absolute-form
 * ('http://host/…'); a '#'; a backslash, raw or encoded; a bad or a
 * double percent-encoding ('%252e'); NUL or any control character; a '.'
 * or '..' segment, raw or encoded; an empty segment ('//'). The query is
 * dropped. Segments are decoded as UTF-8 and must be valid UTF-8.
 *
 * @example
 * decodeTarget('/docs/a%20b.html?x=1')  // { ok: true, segments: ['docs', 'a b.html'], dir: false }
 */
export function decodeTarget(target: string): TargetPath {
  let path = target;
  if (!path.startsWith('/')) {
    const m = ABSOLUTE_FORM.exec(path);
    if (!m) return refuse('the target is neither /path nor http://host/path');
    path = path.slice(m[0].length) || '/';
    if (!path.startsWith('/')) return refuse('the target is neither /path nor http://host/path');
  }
  if (path.includes('#')) return refuse('a fragment in the target');
  const query = path.indexOf('?');
  if (query >= 0) path = path.slice(0, query);
  const raw = path.split('/').slice(1);
  const dir = raw.length === 0 || raw[raw.length - 1] === '';
  if (dir) raw.pop();
  const segments: string[] = [];
  for (const r of raw) {
    const decoded = decodeSegment(r);
    if (typeof decoded !== 'string') return decoded;
    segments.push(decoded);
  }
  return { ok: true, segments, dir };
}

function decodeSegment(raw: string): string | TargetPath {
  if (raw === '') return refuse('an empty path segment');
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return refuse('a malformed percent-encoding');
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(c);
    }
  }
  for (const b of bytes) {
    if (b < 0x20 || b === 0x7f) return refuse('a control character in the path');
    if (b === 0x5c) return refuse('a backslash in the path');
    if (b === 0x25) return refuse('a percent sign left after decoding (double encoding)');
    if (b === 0x2f) return refuse('an encoded slash in the path');
  }
  const buf = Buffer.from(bytes);
  const text = buf.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(buf)) return refuse('a path that is not UTF-8');
  if (text === '.' || text === '..') return refuse('a dot segment in the path');
  return text;
}
