/**
 * Finding: a read parked for a ring buffer restarts through
 * owner.restart(), i.e. on the proactor its AsynchReadStream is open on
 * *now*, not on the one it was started on (the ring's). After the stream is
 * re-opened on another proactor:
 *  - a release on the first ring resumes the read on the second proactor
 *    with the first ring's group number: the ownsRing check of this change
 *    is bypassed, the second proactor's buffer is consumed and never given
 *    back, and the handler is lent the first ring's block, which does not
 *    hold the bytes read;
 *  - with the second proactor closed, SockStream.close() -> noteHandleClosing
 *    -> the first proactor's handleClosing -> cancelWaiting -> restart
 *    throws 'closed' out of SockStream.close(), before the socket is closed:
 *    the descriptor leaks (the SockStream already says INVALID_HANDLE) and
 *    the other waiters taken with it never complete.
 */
import { SockStream } from '../../../framework/common/SockStream';
import { AsynchReadStream } from '../../../framework/proactor/AsynchReadStream';
import { Proactor } from '../../../framework/proactor/Proactor';
import { socketPair } from '../../support/streams';
import { parkRead, ringBackends, ringIt, sock } from './helpers';

async function parkedOn(backend: string) {
  const p1 = new Proactor({ backend });
  const ring = p1.createBufferRing({ count: 1, size: 8 });
  const fds = [...socketPair(), ...socketPair()];
  const [a, b, e, f] = fds;
  const { holder, reader, rs } = await parkRead(p1, ring, [e, f], [a, b], 'zerozero', 'payload');
  return { p1, ring, fds, a, holder, reader, rs };
}

describe.each(ringBackends)('a parked ring read whose stream is re-opened on another proactor, on %s', (backend, rings) => {
  const ringCase = ringIt(backend, rings);
  ringCase("should resume on the ring's own proactor (or end), not read into the other proactor's ring", async () => {
    const { p1, ring, fds, reader, rs, holder, a } = await parkedOn(backend);
    const p2 = new Proactor({ backend });
    const ring2 = p2.createBufferRing({ count: 1, size: 8 });
    try {
      // The handler moves to p2 (e.g. a connection handed to another loop).
      rs.open(reader, a, undefined, p2);
      holder.kept!.release();
      const done = () => reader.log.length > 0;
      for (let i = 0; i < 200 && !done(); i++) {
        p1.handleEvents(5);
        p2.handleEvents(5);
        await new Promise((r) => setImmediate(r));
      }
      // Whatever the read delivered must be the bytes sent, from p1's ring; p2's ring must be untouched.
      expect(reader.log).toEqual(['payload']);
      expect(p2.inflight()).toBe(0);
    } finally {
      for (const fd of fds) sock.close(fd);
      await p2.close();
      await p1.close();
    }
  });

  ringCase("should not throw out of SockStream.close() (leaking the descriptor) when the stream's proactor is closed", async () => {
    const { p1, fds, reader, rs, a } = await parkedOn(backend);
    const p2 = new Proactor({ backend });
    let closedFd = false;
    try {
      rs.open(reader, a, undefined, p2);
      await p2.close();
      const stream = new SockStream(a);
      let thrown: unknown;
      try {
        stream.close();
      } catch (e) {
        thrown = e;
      }
      // Was the descriptor closed? (fcntl-free check: a send on a closed fd fails with EBADF)
      const rc = sock.sendNow(a, Buffer.from('x'), 0, 1);
      closedFd = rc === -9;
      expect(thrown).toBeUndefined();
      expect(closedFd).toBe(true);
    } finally {
      for (const fd of fds) if (fd !== a || !closedFd) sock.close(fd);
      await p1.close();
    }
  });
});
