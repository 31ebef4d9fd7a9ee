import { type Handle } from '../common/Handle';
import { HandOffInbox } from '../common/HandOffInbox';
import { InetAddr } from '../common/InetAddr';
import { SockStream } from '../common/SockStream';
import { Errno } from '../common/errno';
import { loadNative } from '../native/loadNative';

/** A connection taken off a listening handle. */
export interface AcceptedConnection {
  /** Non-blocking and close-on-exec; the caller owns it. */
  handle: Handle;
  /** The peer's address. */
  remote: InetAddr;
}

/** Failures that concern one connection only (it vanished before we took it). */
const TRANSIENT = new Set([Errno.ECONNABORTED, Errno.EINTR, Errno.EPROTO, Errno.EPERM, Errno.ENETDOWN, Errno.ENOPROTOOPT, Errno.EHOSTUNREACH, Errno.EOPNOTSUPP, Errno.ENETUNREACH]);
/** Out of fds or memory: accepting again at once would spin. */
const OUT_OF_RESOURCES = new Set([Errno.EMFILE, Errno.ENFILE, Errno.ENOBUFS, Errno.ENOMEM]);

/**
 * ACE_SOCK_Acceptor::accept in non-blocking mode — the wrapper facade a
 * reactive acceptor calls when its listening handle is readable: it takes
 * the connections waiting in the backlog, up to a limit per wake.
 */
export class NonBlockingAccept {
  private static sockaddr: Buffer | undefined;

  /** One pending connection, or -errno (-EAGAIN when none is waiting). */
  static take(listenHandle: Handle): AcceptedConnection | number {
    const inbox = HandOffInbox.of(listenHandle);
    if (inbox) return NonBlockingAccept.takeHandedOver(inbox);
    const buf = (NonBlockingAccept.sockaddr ??= Buffer.alloc(loadNative().socket.constants.SOCKADDR_STORAGE_SIZE));
    const fd = loadNative().socket.accept(listenHandle, buf);
    if (fd < 0) return fd;
    return { handle: fd, remote: InetAddr.fromSockaddr(buf) };
  }

  /** A connection a pool handed to this thread (see HandOffInbox), or -errno. */
  private static takeHandedOver(inbox: HandOffInbox): AcceptedConnection | number {
    const handle = inbox.takeNow();
    if (handle < 0) return handle;
    let remote: InetAddr;
    try {
      remote = SockStream.address(handle, 'remote');
    } catch {
      // The peer has gone (ENOTCONN): as accept(2) passing over a connection aborted in the backlog.
      loadNative().socket.close(handle);
      return -Errno.ECONNABORTED;
    }
    return { handle, remote };
  }

  /**
   * Gives each waiting connection (up to max) to onConnection. Returns 0
   * when the backlog is empty or max was reached, else the -errno that
   * stopped it (see isOutOfResources). Per-connection failures are skipped.
   */
  static takeAll(listenHandle: Handle, max: number, onConnection: (connection: AcceptedConnection) => void): number {
    for (let i = 0; i < max; i++) {
      const taken = NonBlockingAccept.take(listenHandle);
      if (typeof taken !== 'number') {
        onConnection(taken);
        continue;
      }
      if (taken === -Errno.EAGAIN || taken === -Errno.EWOULDBLOCK) return 0;
      if (!TRANSIENT.has(-taken)) return taken;
    }
    return 0;
  }

  /** Whether errno means "out of fds or memory": back off, then accept again. */
  static isOutOfResources(errno: number): boolean {
    return OUT_OF_RESOURCES.has(errno);
  }
}
