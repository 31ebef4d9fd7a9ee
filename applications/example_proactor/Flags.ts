/**
 * A numeric flag's value: decimal digits only (no sign, hex, exponent,
 * fraction or blanks) and within min..max. Anything else throws the
 * message to print: what the flag takes, what it got, and the usage.
 *
 * @example
 * const port = wholeNumber('port', values.port!, 0, 65535, USAGE);
 */
export function wholeNumber(flag: string, text: string, min: number, max: number, usage: string): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (n >= min && n <= max) return n;
  const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
  throw new Error(`--${flag} must be a whole number ${range}, got '${text}'\n${usage}`);
}
