import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InetAddr } from '../../framework/common/InetAddr';
import { loadNative } from '../../framework/native/loadNative';
import { ProactorFactory } from '../../framework/proactor/ProactorFactory';
import { ReactorFactory } from '../../framework/reactor/ReactorFactory';

/**
 * A numeric flag's value: decimal digits only (no sign, hex, exponent,
 * fraction or blanks) and within min..max. Anything else throws the
 * message to print: what the flag takes, what it got, and the usage.
 *
 * @example
 * const port = wholeNumber('port', values.port!, 0, 65535, USAGE);
 */
export function wholeNumber(flag: string, text: string, min: number, max: number, usage: string): number {
  const n = decimal(text);
  if (n >= min && n <= max) return n;
  const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
  throw new Error(`--${flag} must be a whole number ${range}, got '${text}'\n${usage}`);
}

/** text as a number if it is decimal digits only, else NaN ('0x10', '1e3', '-1' and '' are not). */
export function decimal(text: string | undefined): number {
  return text !== undefined && /^[0-9]+$/.test(text) ? Number(text) : NaN;
}

/**
 * parseArgs, with the usage added to what it throws (an unknown flag, a
 * flag without its value), so that every refusal reads the same. A value
 * that looks negative (`--port -1`) is the flag's value, as `--port=-1`
 * is, so that it gets the flag's own refusal rather than parseArgs's
 * guess that a flag is missing its value.
 */
export function parseFlags<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config.args === undefined ? config : { ...config, args: joinNegativeValues(config.args, config) });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${usage}`);
  }
}

/** args with `--flag -1` written `--flag=-1`, for the flags of config that take a value. */
function joinNegativeValues(args: readonly string[], config: ParseArgsConfig): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : undefined;
    if (name !== undefined && config.options?.[name]?.type === 'string' && /^-[0-9.]/.test(args[i + 1] ?? '')) {
      out.push(`${args[i]}=${args[++i]}`);
    } else {
      out.push(args[i]);
    }
  }
  return out;
}

/**
 * A --backend value (one name, or a preference list `uring,epoll`) whose
 * every name this build knows; anything else throws the message to print.
 * Whether the machine can set the backend up is found out when it starts.
 */
export function backendNames(text: string | undefined, usage: string): string | undefined {
  if (text === undefined) return undefined;
  const names = text.split(',').map((name) => name.trim());
  if (names.length === 0 || !names.every((name) => name !== '' && ProactorFactory.knows(name))) {
    throw new Error(`--backend must name this build's proactor backends (${loadNative().backends.split(',').join(', ')}), alone or as a list, got '${text}'\n${usage}`);
  }
  return text;
}

/** A --reactor value this build knows; anything else throws the message to print. */
export function reactorName(text: string | undefined, usage: string): string | undefined {
  if (text === undefined || ReactorFactory.knows(text)) return text;
  throw new Error(`--reactor must name one of this build's reactor backends (${loadNative().reactorBackends.split(',').join(', ')}), got '${text}'\n${usage}`);
}

/** A --host value: a numeric IPv4 or IPv6 address (the servers resolve no names); anything else throws the message to print. */
export function numericHost(text: string, usage: string): string {
  try {
    new InetAddr(0, text);
    return text;
  } catch {
    throw new Error(`--host must be a numeric IPv4 or IPv6 address, got '${text}'\n${usage}`);
  }
}
