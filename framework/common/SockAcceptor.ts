import { loadNative } from '../native/loadNative';
import { INVALID_HANDLE, type Handle } from './Handle';
import { HandOffInbox } from './HandOffInbox';
import { type InetAddr } from './InetAddr';
import { SockStream } from './SockStream';
import { systemCall } from './systemCall';

/** Options for SockAcceptor.open. */
export interface SockAcceptorOptions {
  /** SO_REUSEADDR; default true. */
  reuseAddr?: boolean;
  /**
   * SO_REUSEPORT, to share the port among processes or threads; default
   * false. On a ProactorPool thread that is handed its connections (where
   * the platform has no SO_REUSEPORT), listening on the pool's address with
   * it takes those connections instead (HandOffInbox).
   */
  reusePort?: boolean;
  /** listen() backlog; default 511. */
  backlog?: number;
  /** For '::', accept IPv6 only (IPV6_V6ONLY); default false. */
  ipv6Only?: boolean;
}

/**
 * ACE_SOCK_Acceptor — wrapper facade over a passive-mode (listening) socket.
 *
 * @example
 * const acceptor = new SockAcceptor();
 * acceptor.open(new InetAddr(0, '127.0.0.1'));
 * acceptor.getLocalAddr().port;   // the port the kernel chose
 */
export class SockAcceptor {
  private handle_: Handle = INVALID_HANDLE;
  /** Where connections come from when the pool hands them over. */
  private inbox: HandOffInbox | undefined;

  /** Creates, binds and listens; throws a 'system' ProactorError naming the failed call. */
  open(address: InetAddr, options: SockAcceptorOptions = {}): void {
    this.inbox = HandOffInbox.claim(address, options.reusePort ?? false);
    if (this.inbox) {
      this.handle_ = this.inbox.doorbell;
      return;
    }
    const native = loadNative().socket;
    const c = native.constants;
    const fd = systemCall(native.open(address.addressFamily(), c.SOCK_STREAM, 0), 'socket');
    try {
      if (options.reuseAddr ?? true) systemCall(native.setOption(fd, c.SOL_SOCKET, c.SO_REUSEADDR, 1), 'setsockopt(SO_REUSEADDR)');
      if (options.reusePort) systemCall(native.setOption(fd, c.SOL_SOCKET, c.SO_REUSEPORT, 1), 'setsockopt(SO_REUSEPORT)');
      if (address.family === 6) systemCall(native.setOption(fd, c.IPPROTO_IPV6, c.IPV6_V6ONLY, options.ipv6Only ? 1 : 0), 'setsockopt(IPV6_V6ONLY)');
      const sa = address.toSockaddr();
      systemCall(native.bind(fd, sa, sa.length), `bind(${address})`);
      systemCall(native.listen(fd, options.backlog ?? 511), 'listen');
    } catch (e) {
      native.close(fd);
      throw e;
    }
    this.handle_ = fd;
  }

  /** The listening socket's handle (INVALID_HANDLE once closed). */
  handle(): Handle {
    return this.handle_;
  }

  /** The address it listens on (with the real port when 0 was asked for). */
  getLocalAddr(): InetAddr {
    if (this.inbox) return this.inbox.address;
    return SockStream.address(this.handle_, 'local');
  }

  /** Closes the listening socket now (see Proactor.closeHandle with accepts in flight). */
  close(): void {
    if (this.handle_ === INVALID_HANDLE) return;
    const h = this.handle_;
    this.handle_ = INVALID_HANDLE;
    this.inbox?.close();
    systemCall(loadNative().socket.close(h), 'close');
  }
}
