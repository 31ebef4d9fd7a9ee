import { type Handle } from '../../framework/common/Handle';
import { InetAddr } from '../../framework/common/InetAddr';
import { SockAcceptor } from '../../framework/common/SockAcceptor';
import { AsynchAccept } from '../../framework/proactor/AsynchAccept';
import { AsynchConnect } from '../../framework/proactor/AsynchConnect';
import { Handler } from '../../framework/proactor/Handler';
import { type Proactor } from '../../framework/proactor/Proactor';
import { type AsynchAcceptResult } from '../../framework/proactor/results/AsynchAcceptResult';
import { type AsynchConnectResult } from '../../framework/proactor/results/AsynchConnectResult';
import { dispatchUntil } from './drive';
import { INVALID_HANDLE } from '../../framework/common/Handle';
import { MessageBlock } from '../../framework/common/MessageBlock';

/** A connected loopback TCP pair made with the proactor's own accept and connect. */
export async function tcpPair(proactor: Proactor): Promise<{ server: Handle; client: Handle }> {
  const listener = new SockAcceptor();
  listener.open(new InetAddr(0, '127.0.0.1'));
  let server = INVALID_HANDLE;
  let client = INVALID_HANDLE;
  const handler = new (class extends Handler {
    override handleAccept(r: AsynchAcceptResult) {
      if (!r.success) throw new Error(`accept failed: ${r.errorCode}`);
      server = r.acceptHandle;
    }
    override handleConnect(r: AsynchConnectResult) {
      if (!r.success) throw new Error(`connect failed: ${r.errorCode}`);
      client = r.connectHandle;
    }
  })(proactor);
  try {
    const accept = new AsynchAccept();
    accept.open(handler, listener.handle());
    accept.accept(new MessageBlock(0), 0);
    const connect = new AsynchConnect();
    connect.open(handler);
    connect.connect(INVALID_HANDLE, listener.getLocalAddr());
    await dispatchUntil(proactor, () => server !== INVALID_HANDLE && client !== INVALID_HANDLE, 'a loopback TCP pair');
  } finally {
    listener.close();
  }
  return { server, client };
}
