/** What a Range field asks of a file of a given size. */
export type RangeAsk =
  /** No range, or one JAWS ignores (several ranges, another unit, bad syntax): the whole file, 200. */
  | { kind: 'whole' }
  /** Bytes first..last inclusive: 206. */
  | { kind: 'part'; first: number; last: number }
  /** Nothing of the file matches: 416. */
  | { kind: 'unsatisfiable' };

const SINGLE = /^bytes[ \t]*=[ \t]*([0-9]*)-([0-9]*)$/i;

/**
 * A single byte range (RFC 9110 §14): `bytes=a-b`, `bytes=a-`, `bytes=-n`.
 * A field JAWS does not act on is ignored, as the RFC allows; a range that
 * starts past the end, or a suffix of 0 bytes, is unsatisfiable.
 *
 * @example
 * byteRange('bytes=-10', 100)  // { kind: 'part', first: 90, last: 99 }
 */
export function byteRange(field: string | undefined, size: number): RangeAsk {
  if (field === undefined) return { kind: 'whole' };
  const m = SINGLE.exec(field.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'whole' };
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', first: Math.max(0, size - n), last: size - 1 };
  }
  const first = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (last < first) return { kind: 'whole' };
  if (first >= size) return { kind: 'unsatisfiable' };
  return { kind: 'part', first, last: Math.min(last, size - 1) };
}
