import { INVALID_HANDLE, type Handle } from '../common/Handle';
import { SockStream } from '../common/SockStream';
import { loadNative } from '../native/loadNative';
import { EventHandler } from './EventHandler';
import { Reactor } from './Reactor';
import { ReactorMask, type ReactorMaskBits } from './ReactorMask';

/**
 * ACE_Svc_Handler<ACE_SOCK_Stream> — POSA2 Service Handler
 * (Acceptor-Connector) on the Reactor: an EventHandler that owns one
 * connected socket. An Acceptor gives it its handle, then calls open(),
 * which by default registers it for READ_MASK. handleClose (any mask)
 * destroys it: it leaves the reactor, loses its timers and closes its
 * socket, once.
 *
 * @example
 * class Echo extends SvcHandler {
 *   override handleInput() {
 *     const n = this.recv(this.buf);
 *     if (n <= 0) return n === -Errno.EAGAIN ? 0 : -1;
 *     return this.send(this.buf.subarray(0, n)) < 0 ? -1 : 0;
 *   }
 * }
 */
export class SvcHandler extends EventHandler {
  private handle_: Handle = INVALID_HANDLE;
  private closed = false;

  /** The connection, as a wrapper facade. */
  peer(): SockStream {
    return new SockStream(this.handle_);
  }

  override getHandle(): Handle {
    return this.handle_;
  }

  /** Takes ownership of a connected socket. */
  setHandle(handle: Handle): void {
    this.handle_ = handle;
  }

  /** Activation: registers for READ_MASK. Return -1 to refuse the connection. */
  open(_acceptor?: unknown): number {
    const reactor = this.reactor() ?? Reactor.instance();
    reactor.registerHandler(this, ReactorMask.READ_MASK);
    return 0;
  }

  /** recv without blocking: bytes read, 0 at EOF, or -errno (-EAGAIN: nothing yet). */
  recv(buffer: Buffer, offset = 0, length = buffer.length - offset): number {
    return loadNative().socket.recvNow(this.handle_, buffer, offset, length);
  }

  /** send without blocking: bytes sent (maybe fewer), or -errno (-EAGAIN: no room). */
  send(buffer: Buffer, offset = 0, length = buffer.length - offset): number {
    return loadNative().socket.sendNow(this.handle_, buffer, offset, length);
  }

  /** Whether destroy() ran. */
  isClosed(): boolean {
    return this.closed;
  }

  /** Removes it from the reactor for every event; handleClose follows (and destroys it). */
  close(): void {
    const reactor = this.reactor();
    if (!reactor || reactor.removeHandler(this, ReactorMask.ALL_EVENTS_MASK) < 0) this.destroy();
  }

  override handleClose(_handle: Handle, _closeMask: ReactorMaskBits): number {
    this.destroy();
    return 0;
  }

  /** Leaves the reactor (without another handleClose), cancels its timers, closes the socket. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    const reactor = this.reactor();
    if (reactor && !reactor.implementation().isClosed()) {
      reactor.removeHandler(this, ReactorMask.ALL_EVENTS_MASK | ReactorMask.DONT_CALL);
      reactor.cancelTimer(this);
    }
    if (this.handle_ !== INVALID_HANDLE) {
      loadNative().socket.close(this.handle_);
      this.handle_ = INVALID_HANDLE;
    }
  }
}
