import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { endianness } from 'node:os';
import { loadNative } from '../native/loadNative';

const SOCKADDR_IN_SIZE = 16;
const SOCKADDR_IN6_SIZE = 28;
const littleEndian = endianness() === 'LE';

/**
 * ACE_INET_Addr — an IPv4 or IPv6 address and port, encoded once as the
 * platform's sockaddr for the kernel.
 *
 * @example
 * const addr = new InetAddr(8080, '127.0.0.1');
 * addr.toString();   // '127.0.0.1:8080'
 */
export class InetAddr {
  /** 4 or 6. */
  readonly family: 4 | 6;
  private encoded: Buffer | undefined;

  /** A numeric host ('127.0.0.1', '::1') or 'localhost'; '0.0.0.0' by default. */
  constructor(
    /** The port, 0 to 65535 (0: any, when binding). */
    readonly port: number,
    /** The numeric IPv4 or IPv6 address. */
    readonly host: string = '0.0.0.0',
  ) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`InetAddr: port must be 0..65535, got ${port}`);
    }
    if (host === 'localhost') this.host = '127.0.0.1';
    const family = isIP(this.host);
    if (family === 0) {
      throw new TypeError(`InetAddr: '${host}' is not a numeric address; use InetAddr.resolve() for names`);
    }
    this.family = family as 4 | 6;
  }

  /** Resolves a host name (DNS) into an address. */
  static async resolve(host: string, port: number): Promise<InetAddr> {
    const { address } = await lookup(host);
    return new InetAddr(port, address);
  }

  /** Parses 'host:port' or '[v6]:port'. */
  static parse(text: string): InetAddr {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
    if (!m) throw new TypeError(`InetAddr.parse: expected host:port or [v6]:port, got '${text}'`);
    return new InetAddr(Number(m[2]), m[1]);
  }

  /** Decodes a sockaddr the kernel wrote. */
  static fromSockaddr(buf: Uint8Array, offset = 0): InetAddr {
    const c = loadNative().socket.constants;
    const view = Buffer.from(buf.buffer, buf.byteOffset + offset, buf.byteLength - offset);
    const family = littleEndian ? view.readUInt16LE(0) : view.readUInt16BE(0);
    const port = view.readUInt16BE(2);
    if (family === c.AF_INET) {
      return new InetAddr(port, `${view[4]}.${view[5]}.${view[6]}.${view[7]}`);
    }
    if (family === c.AF_INET6) {
      const groups: string[] = [];
      for (let i = 0; i < 8; i++) groups.push(view.readUInt16BE(8 + 2 * i).toString(16));
      return new InetAddr(port, compressIPv6(groups));
    }
    throw new TypeError(`InetAddr.fromSockaddr: address family ${family} is not IPv4 or IPv6`);
  }

  /** The sockaddr_in / sockaddr_in6 bytes; the same Buffer each call. */
  toSockaddr(): Buffer {
    if (this.encoded) return this.encoded;
    const c = loadNative().socket.constants;
    const buf = Buffer.alloc(this.family === 4 ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_SIZE);
    const af = this.family === 4 ? c.AF_INET : c.AF_INET6;
    if (littleEndian) buf.writeUInt16LE(af, 0);
    else buf.writeUInt16BE(af, 0);
    buf.writeUInt16BE(this.port, 2);
    if (this.family === 4) {
      this.host.split('.').forEach((part, i) => (buf[4 + i] = Number(part)));
    } else {
      expandIPv6(this.host).forEach((group, i) => buf.writeUInt16BE(group, 8 + 2 * i));
    }
    this.encoded = buf;
    return buf;
  }

  /** The address family's AF_ number on this platform. */
  addressFamily(): number {
    const c = loadNative().socket.constants;
    return this.family === 4 ? c.AF_INET : c.AF_INET6;
  }

  /** True for 0.0.0.0 and ::. */
  isAny(): boolean {
    return this.host === '0.0.0.0' || this.host === '::';
  }

  /** 'host:port', or '[host]:port' for IPv6. */
  toString(): string {
    return this.family === 6 ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }
}

/** The eight 16-bit groups of a numeric IPv6 address (with an embedded IPv4 tail allowed). */
function expandIPv6(host: string): number[] {
  let text = host.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16));
}

/** RFC 5952 text for eight hex groups: the longest run of zeros becomes '::'. */
function compressIPv6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
