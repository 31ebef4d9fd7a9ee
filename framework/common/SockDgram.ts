import { loadNative } from '../native/loadNative';
import { INVALID_HANDLE, type Handle, noteHandleClosing } from './Handle';
import { type InetAddr } from './InetAddr';
import { ProactorError } from './ProactorError';
import { SockStream } from './SockStream';
import { systemCall } from './systemCall';

/** Options for SockDgram.open. */
export interface SockDgramOptions {
  /** SO_REUSEADDR; default false. */
  reuseAddr?: boolean;
  /** SO_REUSEPORT; default false. */
  reusePort?: boolean;
  /** For '::', IPv6 only (IPV6_V6ONLY); default false (IPv4 peers arrive as ::ffff:a.b.c.d). */
  ipv6Only?: boolean;
}

/**
 * ACE_SOCK_Dgram — wrapper facade over a connectionless datagram (UDP)
 * socket: opened and bound to a local address, IPv4 or IPv6. Datagrams
 * move through AsynchReadDgram / AsynchWriteDgram.
 *
 * @example
 * const socket = new SockDgram();
 * socket.open(new InetAddr(0, '::1'));
 * socket.getLocalAddr().port;   // the port the kernel chose
 * await proactor.closeHandle(socket.release());   // or socket.close() with nothing in flight
 */
export class SockDgram {
  private handle_: Handle = INVALID_HANDLE;

  /** Creates a non-blocking UDP socket of local's family and binds it; throws a 'system' ProactorError naming the failed call. */
  open(local: InetAddr, options: SockDgramOptions = {}): void {
    if (this.handle_ !== INVALID_HANDLE) throw new ProactorError('invalid-argument', 'SockDgram.open: already open; close() it first');
    const native = loadNative().socket;
    const c = native.constants;
    const fd = systemCall(native.open(local.addressFamily(), c.SOCK_DGRAM, 0), 'socket');
    try {
      if (options.reuseAddr) systemCall(native.setOption(fd, c.SOL_SOCKET, c.SO_REUSEADDR, 1), 'setsockopt(SO_REUSEADDR)');
      if (options.reusePort) systemCall(native.setOption(fd, c.SOL_SOCKET, c.SO_REUSEPORT, 1), 'setsockopt(SO_REUSEPORT)');
      if (local.family === 6) systemCall(native.setOption(fd, c.IPPROTO_IPV6, c.IPV6_V6ONLY, options.ipv6Only ? 1 : 0), 'setsockopt(IPV6_V6ONLY)');
      const sa = local.toSockaddr();
      systemCall(native.bind(fd, sa, sa.length), `bind(${local})`);
    } catch (e) {
      native.close(fd);
      throw e;
    }
    this.handle_ = fd;
  }

  /** The socket's handle (INVALID_HANDLE once closed). */
  handle(): Handle {
    return this.handle_;
  }

  /** The address it is bound to (with the real port when 0 was asked for). */
  getLocalAddr(): InetAddr {
    return SockStream.address(this.handle_, 'local');
  }

  /** setsockopt(level, name, value), e.g. SO_RCVBUF. */
  setOption(level: number, name: number, value: number): void {
    systemCall(loadNative().socket.setOption(this.handle_, level, name, value), 'setsockopt');
  }

  /** getsockopt(level, name) as an integer; throws ProactorError on failure. */
  getOption(level: number, name: number): number {
    return systemCall(loadNative().socket.getOption(this.handle_, level, name), 'getsockopt');
  }

  /** Gives up the handle (to close it with Proactor.closeHandle, which cancels what is in flight first). */
  release(): Handle {
    const h = this.handle_;
    this.handle_ = INVALID_HANDLE;
    return h;
  }

  /**
   * Closes the handle now. With operations in flight on it, use
   * Proactor.closeHandle(socket.release()) instead: it cancels them first.
   */
  close(): void {
    if (this.handle_ === INVALID_HANDLE) return;
    const h = this.handle_;
    this.handle_ = INVALID_HANDLE;
    try {
      noteHandleClosing(h);
    } finally {
      systemCall(loadNative().socket.close(h), 'close');
    }
  }
}
