import { loadNative } from '../native/loadNative';
import { INVALID_HANDLE, type Handle, noteHandleClosing } from './Handle';
import { InetAddr } from './InetAddr';
import { systemCall } from './systemCall';

/**
 * ACE_SOCK_Stream — wrapper facade over a connected stream socket handle:
 * addresses, options and shutdown, synchronously. Data moves through
 * AsynchReadStream/AsynchWriteStream (or a Reactor), not through here.
 */
export class SockStream {
  constructor(private handle_: Handle = INVALID_HANDLE) {}

  /** The connected socket's handle (INVALID_HANDLE once closed). */
  handle(): Handle {
    return this.handle_;
  }

  /** The peer's address. */
  getRemoteAddr(): InetAddr {
    return SockStream.address(this.handle_, 'remote');
  }

  /** This end's address. */
  getLocalAddr(): InetAddr {
    return SockStream.address(this.handle_, 'local');
  }

  /** setsockopt(level, name, value); SO_LINGER takes seconds (-1: off). */
  setOption(level: number, name: number, value: number): void {
    systemCall(loadNative().socket.setOption(this.handle_, level, name, value), 'setsockopt');
  }

  /** getsockopt(level, name) as an integer; throws ProactorError on failure. */
  getOption(level: number, name: number): number {
    return systemCall(loadNative().socket.getOption(this.handle_, level, name), 'getsockopt');
  }

  /** Turns Nagle off (on by default for sockets). */
  setNoDelay(on = true): void {
    const c = loadNative().socket.constants;
    this.setOption(c.IPPROTO_TCP, c.TCP_NODELAY, on ? 1 : 0);
  }

  /** Shuts the writing side (the peer reads EOF). */
  closeWriter(): void {
    systemCall(loadNative().socket.shutdown(this.handle_, loadNative().socket.constants.SHUT_WR), 'shutdown');
  }

  /** Shuts the reading side. */
  closeReader(): void {
    systemCall(loadNative().socket.shutdown(this.handle_, loadNative().socket.constants.SHUT_RD), 'shutdown');
  }

  /**
   * Closes the handle now. With operations in flight on it, use
   * Proactor.closeHandle instead: it cancels them first.
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

  /** A handle's local or remote address. */
  static address(handle: Handle, which: 'local' | 'remote'): InetAddr {
    const native = loadNative().socket;
    const buf = Buffer.alloc(native.constants.SOCKADDR_STORAGE_SIZE);
    const rc = which === 'local' ? native.localAddress(handle, buf) : native.remoteAddress(handle, buf);
    systemCall(rc, which === 'local' ? 'getsockname' : 'getpeername');
    return InetAddr.fromSockaddr(buf);
  }
}
