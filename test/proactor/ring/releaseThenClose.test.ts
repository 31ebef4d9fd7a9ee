/**
 * Finding: AsynchReadMultishotResult.complete releases the lent buffer after
 * the handler "only if still lent" (ring.isLent). isLent asks about the
 * buffer id, not about this loan. A handler that gives its buffer back
 * itself (mb.release(), allowed since this change), starts its next read and
 * closes the proactor lets close() dispatch that next read, which the
 * backend lent the same buffer id, and whose handler keeps it
 * (keepBuffer). When the first handler returns, the framework finds the id
 * lent and releases it: the kept block is taken from its keeper (emptied,
 * back in the ring), whose own mb.release() then throws "not lent".
 */
import { type MessageBlock } from '../../../framework/common/MessageBlock';
import { AsynchReadStream } from '../../../framework/proactor/AsynchReadStream';
import { Handler } from '../../../framework/proactor/Handler';
import { Proactor } from '../../../framework/proactor/Proactor';
import { type AsynchReadMultishotResult } from '../../../framework/proactor/results/AsynchReadMultishotResult';
import { type AsynchReadStreamResult } from '../../../framework/proactor/results/AsynchReadStreamResult';
import { socketPair } from '../../support/streams';
import { pump, ringBackends, ringIt, sock } from './helpers';

describe.each(ringBackends)('a ring-read handler that releases its buffer, reads again and closes the proactor, on %s', (backend, rings) => {
  const ringCase = ringIt(backend, rings);
  ringCase('should leave the next read the buffer it kept', async () => {
    const proactor = new Proactor({ backend });
    const ring = proactor.createBufferRing({ count: 1, size: 3 });
    const [a, b] = socketPair();
    const errors: unknown[] = [];
    proactor.errorHook = (err) => errors.push(err);
    const log: string[] = [];
    let kept: { mb: MessageBlock; data: string } | undefined;
    const rs = new AsynchReadStream();
    rs.open(
      new (class extends Handler {
        override handleReadStream(r: AsynchReadStreamResult) {
          log.push(r.success ? r.messageBlock.data().toString() : r.errorCode);
          if (r.bytesTransferred === 0) return;
          if (log.length === 1) {
            // Done with "one": give the buffer back, read on, and shut down (a "quit" command, say).
            r.messageBlock.release();
            rs.readFromRing(ring);
            void proactor.close();
          } else {
            // "two" is kept, to be written back later.
            const mb = (r as AsynchReadMultishotResult).keepBuffer();
            kept = { mb, data: mb.data().toString() };
          }
        }
      })(proactor),
      a,
      undefined,
      proactor,
    );
    try {
      sock.sendNow(b, Buffer.from('onetwo'), 0, 6);
      rs.readFromRing(ring);
      await pump(proactor, () => proactor.implementation().isClosed(), () => `the close (log ${JSON.stringify(log)})`);
      // Where the second read was lent the buffer during close() and kept it, it must still have it.
      if (kept !== undefined) {
        const k = kept;
        expect({ stillLent: ring.isLent(k.mb, ring.loanOf(k.mb)), data: k.mb.data().toString() }).toEqual({ stillLent: true, data: 'two' });
        expect(() => k.mb.release()).not.toThrow();
      } else {
        // The close cancelled the second read before it read: it ended, once, with ECANCELED.
        expect(log).toEqual(['one', 'ECANCELED']);
      }
      expect(errors).toEqual([]);
    } finally {
      sock.close(a);
      sock.close(b);
      await proactor.close();
    }
  });
});
