/**
 * Finding: handleClosing() (the new watcher) cancels only reads *parked* in
 * a ring's waiter list. A read resumed by a release moments before is no
 * longer parked but not yet submitted either: its recv (prepared with the
 * descriptor's number) waits for the next flush (a microtask, or the end of
 * the batch when the release happens in a handler). A SockStream.close()
 * in that window is missed: the read is submitted after the close, and if
 * the number was reused meanwhile (any socket made in the same tick: the
 * lowest free number) it reads the new connection's bytes and hands them to
 * the old connection's handler.
 */
import { SockStream } from '../../../framework/common/SockStream';
import { Proactor } from '../../../framework/proactor/Proactor';
import { socketPair } from '../../support/streams';
import { parkRead, pump, ringBackends, ringIt, sock } from './helpers';

describe.each(ringBackends)('a ring read resumed by a release, then its handle closed with SockStream.close in the same tick, on %s', (backend, rings) => {
  const ringCase = ringIt(backend, rings);
  ringCase("should read its own socket or end with ECANCELED, and never read the bytes of a socket that took the number", async () => {
    const proactor = new Proactor({ backend });
    const ring = proactor.createBufferRing({ count: 1, size: 16 });
    const open = new Set<number>();
    const pair = () => {
      const p = socketPair();
      p.forEach((fd) => open.add(fd));
      return p;
    };
    const [e, f] = pair();
    const [a, b] = pair();
    try {
      const { holder, reader } = await parkRead(proactor, ring, [e, f], [a, b], 'held', 'old conn');

      // One synchronous stretch: the buffer comes back (resuming the read),
      // the connection is closed, a new one is made (taking the number).
      holder.kept!.release();
      new SockStream(a).close();
      open.delete(a);
      const [x, y] = pair();
      const reused = x === a ? x : y === a ? y : -1;
      const peer = reused === x ? y : x;
      expect(reused).toBe(a);
      sock.sendNow(peer, Buffer.from('NEW conn'), 0, 8);

      await pump(proactor, () => reader.log.length > 0, () => 'the old read to end');
      for (let i = 0; i < 5; i++) proactor.handleEvents(5);
      const left = Buffer.alloc(16);
      const stillThere = sock.recvNow(reused, left, 0, 16);
      // The read goes to the kernel before the close, on its own socket: it
      // reads what that socket had, or is cancelled; the new one's bytes stay.
      expect(reader.log).toHaveLength(1);
      expect(['old conn', 'ECANCELED']).toContain(reader.log[0]);
      expect(stillThere).toBe(8);
    } finally {
      for (const fd of open) sock.close(fd);
      await proactor.close();
    }
  });
});
