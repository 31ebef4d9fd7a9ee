/**
 * ACE's tests/Proactor_Contract_Test.cpp, ported (the cases whose
 * operations exist here): a zero-timeout handleEvents with nothing pending
 * returns 0; an accept completes with a valid handle; a cancelled accept
 * completes with ECANCELED and an invalid handle; 32 failed connects leak
 * no fds once the caller closes the sockets it owns. One case of our own
 * joins them: a transmit-file's header, file and trailer arrive intact.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INVALID_HANDLE } from '../../framework/common/Handle';
import { InetAddr } from '../../framework/common/InetAddr';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { SockAcceptor } from '../../framework/common/SockAcceptor';
import { loadNative } from '../../framework/native/loadNative';
import { AsynchAccept } from '../../framework/proactor/AsynchAccept';
import { AsynchConnect } from '../../framework/proactor/AsynchConnect';
import { HeaderAndTrailer } from '../../framework/proactor/AsynchTransmitFile';
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { type AsynchAcceptResult } from '../../framework/proactor/results/AsynchAcceptResult';
import { type AsynchConnectResult } from '../../framework/proactor/results/AsynchConnectResult';
import { backends, gap } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks, openFds } from '../support/leaks';
import { tcpPair } from '../support/tcpPair';
import { someBytes, TransmitEnds } from '../support/transmitFiles';

const sock = loadNative().socket;

expectNoFdLeaks();

/** Keeps every accept and connect result it is handed. */
class Results extends Handler {
  readonly accepts: AsynchAcceptResult[] = [];
  readonly connects: AsynchConnectResult[] = [];
  override handleAccept(r: AsynchAcceptResult) {
    this.accepts.push(r);
  }
  override handleConnect(r: AsynchConnectResult) {
    this.connects.push(r);
  }
}

describe.each(backends)('Proactor_Contract_Test on %s', (backend) => {
  let proactor: Proactor;
  let listener: SockAcceptor;
  beforeEach(() => {
    proactor = new Proactor({ backend });
    listener = new SockAcceptor();
    listener.open(new InetAddr(0, '127.0.0.1'));
  });
  afterEach(async () => {
    await proactor.close();
    listener.close();
  });

  it('should return 0 from a zero-timeout handleEvents with nothing pending', () => {
    expect(proactor.handleEvents(0)).toBe(0);
  });

  it('should complete an accept with a valid handle', async () => {
    const r = new Results(proactor);
    const accept = new AsynchAccept();
    accept.open(r, listener.handle(), undefined, proactor);
    accept.accept(new MessageBlock(0), 0);
    const connect = new AsynchConnect();
    connect.open(r, INVALID_HANDLE, undefined, proactor);
    connect.connect(INVALID_HANDLE, listener.getLocalAddr());
    await dispatchUntil(proactor, () => r.accepts.length === 1 && r.connects.length === 1, 'the accept and the connect');
    expect(r.accepts[0].success).toBe(true);
    expect(r.accepts[0].acceptHandle).toBeGreaterThanOrEqual(0);
    sock.close(r.accepts[0].acceptHandle);
    sock.close(r.connects[0].connectHandle);
  });

  it('should complete a cancelled accept with ECANCELED and an invalid handle', async () => {
    const r = new Results(proactor);
    const accept = new AsynchAccept();
    accept.open(r, listener.handle(), undefined, proactor);
    accept.accept(new MessageBlock(0), 0);
    proactor.handleEvents(0);
    expect(accept.cancel()).toBe(0);
    await dispatchUntil(proactor, () => r.accepts.length === 1, 'the cancelled accept');
    expect([r.accepts[0].success, r.accepts[0].errorCode, r.accepts[0].acceptHandle]).toEqual([false, 'ECANCELED', INVALID_HANDLE]);
  });

  it('should leak no fd over 32 failed connects', async () => {
    const port = listener.getLocalAddr().port;
    listener.close();
    const before = openFds();
    const r = new Results(proactor);
    const connect = new AsynchConnect();
    connect.open(r, INVALID_HANDLE, undefined, proactor);
    for (let i = 0; i < 32; i++) connect.connect(INVALID_HANDLE, new InetAddr(port, '127.0.0.1'));
    await dispatchUntil(proactor, () => r.connects.length === 32, 'the 32 connects');
    expect(r.connects.every((c) => !c.success && c.errorCode === 'ECONNREFUSED')).toBe(true);
    // The caller owns each connecting socket, success or not (AsynchConnectResult.connectHandle).
    let closed = 0;
    for (const c of r.connects) void proactor.closeHandle(c.connectHandle).then(() => closed++);
    await dispatchUntil(proactor, () => closed === 32, 'the closes');
    expect(openFds()).toBe(before);
    listener = new SockAcceptor();
    listener.open(new InetAddr(0, '127.0.0.1'));
  });

  (gap(backend, 'sendfile') ? it.skip : it)(`should show that a transmitFile with header and trailer arrives intact${gap(backend, 'sendfile') ? ` (skipped: ${gap(backend, 'sendfile')})` : ''}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ace-contract-'));
    const data = someBytes(1024 * 1024 + 3);
    writeFileSync(join(dir, 'body'), data);
    const fd = openSync(join(dir, 'body'), 'r');
    const { server, client } = await tcpPair(proactor);
    try {
      const ends = new TransmitEnds(proactor, server, client);
      ends.startReading();
      ends.tf.transmitFile(fd, new HeaderAndTrailer(MessageBlock.from('header\r\n'), undefined, MessageBlock.from('\r\ntrailer')), 0, 0, 0, 'act');
      await dispatchUntil(proactor, () => ends.transmits.length === 1 && ends.end !== undefined, 'the transmit-file and EOF');
      const r = ends.transmits[0];
      expect([r.success, r.bytesTransferred, r.act]).toEqual([true, data.length + 17, 'act']);
      expect(ends.bytes().equals(Buffer.concat([Buffer.from('header\r\n'), data, Buffer.from('\r\ntrailer')]))).toBe(true);
    } finally {
      sock.close(server);
      sock.close(client);
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
