import { loadNative } from '../native/loadNative';
import { type Handle } from './Handle';
import { type InetAddr } from './InetAddr';
import { systemCall } from './systemCall';

/**
 * ACE_SOCK_Connector — wrapper facade for the active side: makes the socket
 * a connect starts from. The connect itself is asynchronous (AsynchConnect)
 * or reactive (the Reactor's Connector).
 */
export class SockConnector {
  /** A non-blocking stream socket for remote's family, bound to local when given. */
  static openSocket(remote: InetAddr, local?: InetAddr, reuseAddr = true): Handle {
    const native = loadNative().socket;
    const c = native.constants;
    const fd = systemCall(native.open(remote.addressFamily(), c.SOCK_STREAM, 0), 'socket');
    try {
      if (local) {
        if (reuseAddr) systemCall(native.setOption(fd, c.SOL_SOCKET, c.SO_REUSEADDR, 1), 'setsockopt(SO_REUSEADDR)');
        const sa = local.toSockaddr();
        systemCall(native.bind(fd, sa, sa.length), `bind(${local})`);
      }
    } catch (e) {
      native.close(fd);
      throw e;
    }
    return fd;
  }

  /** Closes a socket no operation is in flight on. */
  static closeNow(handle: Handle): void {
    loadNative().socket.close(handle);
  }
}
