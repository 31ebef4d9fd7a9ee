/**
 * A transmit-file goes on in phases (header, file chunks, trailer), each a
 * new native operation on the socket. A closeHandle between phases must
 * stop it: the close frees the fd number, and a socket made right after
 * takes it, so a next phase started on the old number would send this
 * connection's file to another connection.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { loadNative } from '../../framework/native/loadNative';
import { HeaderAndTrailer } from '../../framework/proactor/AsynchTransmitFile';
import { Proactor } from '../../framework/proactor/Proactor';
import { backends, gap } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { tcpPair } from '../support/tcpPair';
import { TransmitEnds } from '../support/transmitFiles';

const sock = loadNative().socket;

describe.each(backends)('closeHandle right after transmitFile on %s', (backend) => {
  const why = gap(backend, 'sendfile');
  (why ? it.skip : it)(`should stop the transmit-file (ECANCELED) and send nothing to a socket that takes the closed number${why ? ` (skipped: ${why})` : ''}`, async () => {
    const proactor = new Proactor({ backend });
    const dir = mkdtempSync(join(tmpdir(), 'ace-tfclose-'));
    const path = join(dir, 'f');
    writeFileSync(path, Buffer.alloc(100_000, 0x46));
    const fd = openSync(path, 'r');
    const toClose: number[] = [];
    try {
      const { server, client } = await tcpPair(proactor);
      toClose.push(client);
      const e = new TransmitEnds(proactor, server, client);
      e.shutdownAfter = false;
      let reuser: [number, number] | undefined;
      let closeError: number | undefined;
      e.tf.transmitFile(fd, new HeaderAndTrailer(MessageBlock.from('HEADER')));
      proactor.implementation().closeHandle(server, (error) => {
        closeError = error;
        // Made once the close is done: it takes the lowest free number, the closed one.
        const p = sock.pair();
        if (typeof p !== 'number') {
          reuser = p;
          toClose.push(...p);
        }
      });
      await dispatchUntil(proactor, () => e.transmits.length === 1 && closeError !== undefined, 'the transmit-file and the close');
      // Give a wrongly started next phase time to send.
      const until = Date.now() + 300;
      await dispatchUntil(proactor, () => Date.now() > until, 'a quiet moment');
      expect(closeError).toBe(0);
      expect(reuser).toBeDefined();
      expect(reuser).toContain(server); // the number was taken again
      const peer = reuser![0] === server ? reuser![1] : reuser![0];
      const leaked = sock.recvNow(peer, Buffer.alloc(200_000), 0, 200_000);
      expect(leaked).toBeLessThanOrEqual(0); // nothing (EAGAIN) reached the new socket
      const r = e.transmits[0];
      expect([r.success, r.errorCode]).toEqual([false, 'ECANCELED']);
      expect(r.bytesTransferred).toBeLessThanOrEqual(6); // at most the header
    } finally {
      await proactor.close();
      for (const h of toClose) sock.close(h);
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
