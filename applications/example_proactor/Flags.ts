import { parseArgs, type ParseArgsConfig } from 'node:util';

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

/**
 * parseArgs, with the usage added to what it throws (an unknown flag, a
 * flag without its value), so that every refusal reads the same.
 */
export function parseFlags<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${usage}`);
  }
}
