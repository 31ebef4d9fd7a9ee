/**
 * Not findings: cases checked and found correct (these pass).
 */
import { type MessageBlock } from '../../../framework/common/MessageBlock';
import { SockStream } from '../../../framework/common/SockStream';
import { AsynchReadStream } from '../../../framework/proactor/AsynchReadStream';
import { Handler } from '../../../framework/proactor/Handler';
import { Proactor } from '../../../framework/proactor/Proactor';
import { type AsynchReadMultishotResult } from '../../../framework/proactor/results/AsynchReadMultishotResult';
import { type AsynchReadStreamResult } from '../../../framework/proactor/results/AsynchReadStreamResult';
import { socketPair } from '../../support/streams';
import { pump, ringBackends, ringIt, sock } from './helpers';

class Reader extends Handler {
  readonly log: string[] = [];
  keep = false;
  kept: MessageBlock[] = [];
  keepErrors: unknown[] = [];
  onRead: ((r: AsynchReadStreamResult) => void) | undefined;
  override handleReadStream(r: AsynchReadStreamResult) {
    this.log.push(`${r.success ? r.messageBlock.data().toString() : r.errorCode}${r.more ? '+' : ''}`);
    if (this.keep) {
      try {
        const mb = (r as AsynchReadMultishotResult).keepBuffer();
        if (r.bytesTransferred > 0) this.kept.push(mb);
      } catch (e) {
        this.keepErrors.push(e);
      }
    }
    this.onRead?.(r);
  }
}

describe.each(ringBackends)('checked on %s', (backend, rings) => {
  const ringCase = ringIt(backend, rings);
  ringCase('keepBuffer() is allowed in completions close() deferred until the handler returned; each delivered once', async () => {
    const proactor = new Proactor({ backend });
    const ring = proactor.createBufferRing({ count: 4, size: 4 });
    const [a, b] = socketPair();
    const r = new Reader(proactor);
    r.keep = true;
    let closedOnce = false;
    r.onRead = () => {
      if (closedOnce) return;
      closedOnce = true;
      sock.sendNow(b, Buffer.from('more'), 0, 4);
      void proactor.close();
    };
    const rs = new AsynchReadStream();
    rs.open(r, a, undefined, proactor);
    try {
      sock.sendNow(b, Buffer.from('one!'), 0, 4);
      rs.readMultishot(ring);
      await pump(proactor, () => proactor.implementation().isClosed(), () => `close (log ${JSON.stringify(r.log)})`);
      expect(r.keepErrors).toEqual([]);
      expect(r.log.filter((s) => !s.endsWith('+'))).toHaveLength(1);
      expect(r.log[0]).toBe('one!+');
      expect(ring.held()).toBe(r.kept.length);
      r.kept.forEach((mb) => mb.release());
    } finally {
      sock.close(a);
      sock.close(b);
      await proactor.close();
    }
  });

  (rings ? it : it.skip).each(['in a handler of a batch', 'in a handler dispatched by close()'])(`SockStream.close %s ends a parked read once, with ECANCELED${rings ? '' : ` (${backend} has no buffer rings)`}`, async (where) => {
    const proactor = new Proactor({ backend });
    const ring = proactor.createBufferRing({ count: 1, size: 8 });
    const fds = [...socketPair(), ...socketPair(), ...socketPair()];
    const [a, b, e, f, g, h] = fds;
    const open = new Set(fds);
    const holder = new Reader(proactor);
    holder.keep = true;
    const hs = new AsynchReadStream();
    hs.open(holder, e, undefined, proactor);
    const parked = new Reader(proactor);
    const ps = new AsynchReadStream();
    ps.open(parked, a, undefined, proactor);
    const trigger = new Reader(proactor);
    const ts = new AsynchReadStream();
    ts.open(trigger, g, undefined, proactor);
    try {
      sock.sendNow(f, Buffer.from('held'), 0, 4);
      hs.readFromRing(ring);
      await pump(proactor, () => holder.kept.length === 1, () => 'holder');
      sock.sendNow(b, Buffer.from('parked'), 0, 6);
      ps.readFromRing(ring);
      await pump(proactor, () => ring.waiting() === 1, () => 'parked');
      // A plain read on g whose handler closes a's stream.
      trigger.onRead = () => {
        new SockStream(a).close();
        open.delete(a);
      };
      const { MessageBlock } = await import('../../../framework/common/MessageBlock');
      ts.read(new MessageBlock(8), 8);
      if (where === 'in a handler of a batch') {
        sock.sendNow(h, Buffer.from('go'), 0, 2);
        await pump(proactor, () => parked.log.length > 0, () => 'the parked read to end');
      } else {
        // close() cancels the plain read; its handler runs inside close().
        await proactor.close();
      }
      for (let i = 0; i < 5 && !proactor.implementation().isClosed(); i++) proactor.handleEvents(5);
      expect(parked.log).toEqual(['ECANCELED']);
      expect(proactor.inflight()).toBe(where === 'in a handler of a batch' ? 0 : 0);
      holder.kept.forEach((mb) => mb.release());
    } finally {
      for (const fd of open) sock.close(fd);
      await proactor.close();
    }
  });
});
