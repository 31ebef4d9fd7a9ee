import { INVALID_HANDLE, type Handle } from '../common/Handle';
import { type InetAddr } from '../common/InetAddr';
import { SockConnector } from '../common/SockConnector';
import { AsynchOperation } from './AsynchOperation';
import { AsynchConnectResult } from './results/AsynchConnectResult';

/**
 * ACE_Asynch_Connect — POSA2 Asynchronous Operation: connects a stream
 * socket. The result's connectHandle is the caller's to keep or close.
 *
 * @example
 * const conn = new AsynchConnect();
 * conn.open(handler);
 * conn.connect(INVALID_HANDLE, new InetAddr(8080, '127.0.0.1'));   // → handler.handleConnect(result)
 */
export class AsynchConnect extends AsynchOperation {
  /**
   * Connects connectHandle (or, when INVALID_HANDLE, a new socket of the
   * remote's family, bound to local if given) to remote.
   */
  connect(connectHandle: Handle, remote: InetAddr, local?: InetAddr, reuseAddr = true, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    const handle = connectHandle === INVALID_HANDLE ? SockConnector.openSocket(remote, local, reuseAddr) : connectHandle;
    try {
      this.start(new AsynchConnectResult(handler, handle, remote, act, this.completionKey_, priority, signalNumber, this));
    } catch (e) {
      if (connectHandle === INVALID_HANDLE) SockConnector.closeNow(handle);
      throw e;
    }
  }
}
