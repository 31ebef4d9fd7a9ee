import { type Handle } from '../../framework/common/Handle';
import { InetAddr } from '../../framework/common/InetAddr';
import { type MessageBlock } from '../../framework/common/MessageBlock';
import { SockAcceptor } from '../../framework/common/SockAcceptor';
import { AsynchAcceptor } from '../../framework/proactor/AsynchAcceptor';
import { AsynchConnector } from '../../framework/proactor/AsynchConnector';
import { Proactor } from '../../framework/proactor/Proactor';
import { ServiceHandler } from '../../framework/proactor/ServiceHandler';
import { type AsynchAcceptResult } from '../../framework/proactor/results/AsynchAcceptResult';
import { type AsynchConnectResult } from '../../framework/proactor/results/AsynchConnectResult';
import { loadNative } from '../../framework/native/loadNative';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks } from '../support/leaks';

const sock = loadNative().socket;

/** Records what the acceptor or connector told it, in order. */
class Probe extends ServiceHandler {
  readonly calls: string[] = [];
  data = '';
  handleValue: Handle = -1;
  override addresses(remote: InetAddr, local: InetAddr) {
    this.calls.push(`addresses ${remote.host} ${local.host}`);
  }
  override act(act: unknown) {
    this.calls.push(`act ${String(act)}`);
  }
  override open(handle: Handle, mb: MessageBlock) {
    this.calls.push('open');
    this.handleValue = handle;
    this.data = mb.data().toString();
  }
}

expectNoFdLeaks();

describe.each(backends)('AsynchAcceptor and AsynchConnector on %s', (backend) => {
  let proactor: Proactor;
  const handlers: Probe[] = [];

  beforeEach(() => {
    proactor = new Proactor({ backend });
    handlers.length = 0;
  });

  afterEach(async () => {
    const closes = handlers.filter((h) => h.handleValue >= 0).map((h) => proactor.closeHandle(h.handleValue));
    let settled = false;
    void Promise.all(closes).then(() => (settled = true));
    await dispatchUntil(proactor, () => settled, 'the handlers to close');
    await proactor.close();
  });

  const make = () => {
    const h = new Probe();
    handlers.push(h);
    return h;
  };

  it('should pass addresses, the act, then open with the first bytes read at accept', async () => {
    const acceptor = new AsynchAcceptor<Probe>();
    acceptor.open(new InetAddr(0, '127.0.0.1'), { proactor, makeHandler: make, passAddresses: true, bytesToRead: 5, numberOfInitialAccepts: 1 });
    const connector = new AsynchConnector<Probe>();
    connector.open({ proactor, makeHandler: make, passAddresses: true });
    connector.connect(acceptor.getLocalAddr(), undefined, true, 'conn-act');
    await dispatchUntil(proactor, () => handlers.length === 1 && handlers[0].calls.includes('open'), 'the client side');
    sock.sendNow(handlers[0].handleValue, Buffer.from('hello world'), 0, 11);
    await dispatchUntil(proactor, () => handlers.length === 2, 'the server side');
    const [client, server] = handlers;
    expect(client.calls).toEqual(['addresses 127.0.0.1 127.0.0.1', 'act conn-act', 'open']);
    expect(server.calls).toEqual(['addresses 127.0.0.1 127.0.0.1', 'open']);
    expect(server.data).toBe('hello');
    let closed = false;
    void acceptor.close().then(() => (closed = true));
    await dispatchUntil(proactor, () => closed, 'the acceptor to close');
  });

  it('should close a connection validateConnection refuses, and keep accepting', async () => {
    const refused: string[] = [];
    const acceptor = new (class extends AsynchAcceptor<Probe> {
      override validateConnection(_r: AsynchAcceptResult, remote: InetAddr) {
        refused.push(remote.host);
        return refused.length > 1;
      }
    })();
    acceptor.open(new InetAddr(0, '127.0.0.1'), { proactor, makeHandler: make, validateNewConnection: true, numberOfInitialAccepts: 1 });
    const connector = new AsynchConnector<Probe>();
    connector.open({ proactor, makeHandler: make });
    connector.connect(acceptor.getLocalAddr());
    connector.connect(acceptor.getLocalAddr());
    await dispatchUntil(proactor, () => refused.length === 2 && handlers.length === 3, 'two connects, one refusal');
    expect(refused).toEqual(['127.0.0.1', '127.0.0.1']);
    // One refused server side: exactly one of the two clients reads EOF.
    let closed = false;
    void acceptor.close().then(() => (closed = true));
    await dispatchUntil(proactor, () => closed, 'the acceptor to close');
  });

  it('should tell validateConnection of a refused connect and close its socket', async () => {
    const probe = new SockAcceptor();
    probe.open(new InetAddr(0, '127.0.0.1'));
    const port = probe.getLocalAddr().port;
    probe.close();
    const seen: string[] = [];
    const connector = new (class extends AsynchConnector<Probe> {
      override validateConnection(r: AsynchConnectResult) {
        seen.push(r.success ? 'ok' : r.errorCode);
        return true;
      }
    })();
    connector.open({ proactor, makeHandler: make, validateNewConnection: true });
    connector.connect(new InetAddr(port, '127.0.0.1'));
    await dispatchUntil(proactor, () => seen.length === 1 && proactor.inflight() === 0, 'the refusal');
    expect(seen).toEqual(['ECONNREFUSED']);
    expect(handlers).toEqual([]);
  });
});

describe.each(backends)('a service handler whose open() throws, on %s', (backend) => {
  it('should have its connection closed by the acceptor and the error reported', async () => {
    const proactor = new Proactor({ backend });
    const reported: string[] = [];
    proactor.errorHook = (e) => reported.push((e as Error).message);
    const acceptor = new AsynchAcceptor<Probe>();
    acceptor.open(new InetAddr(0, '127.0.0.1'), {
      proactor,
      makeHandler: () =>
        new (class extends Probe {
          override open() {
            throw new Error('open refused');
          }
        })(),
    });
    const client = new Probe();
    const connector = new AsynchConnector<Probe>();
    connector.open({ proactor, makeHandler: () => client });
    connector.connect(acceptor.getLocalAddr());
    await dispatchUntil(proactor, () => reported.length === 1 && client.handleValue >= 0, 'the refused open');
    // The server side was closed: the client reads EOF.
    const buf = Buffer.alloc(4);
    await dispatchUntil(proactor, () => sock.recvNow(client.handleValue, buf, 0, 4) === 0, 'EOF at the client');
    expect(reported).toEqual(['open refused']);
    const closes = [acceptor.close(), acceptor.close(), proactor.closeHandle(client.handleValue)];
    expect(closes[0]).toBe(closes[1]);
    let done = false;
    void Promise.all(closes).then(() => (done = true));
    await dispatchUntil(proactor, () => done, 'the closes');
    await proactor.close();
  });
});
