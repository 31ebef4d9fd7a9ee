import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { HandOffRing } from '../../framework/common/HandOffRing';

// The taking thread runs compiled JavaScript: the ring comes from dist/.
const RING_JS = join(__dirname, '..', '..', 'dist', 'framework', 'common', 'HandOffRing.js');

describe('HandOffRing', () => {
  describe('when handles are put and taken', () => {
    it('should give them back once each, oldest first, then nothing', () => {
      const ring = HandOffRing.create(4);
      expect([ring.put(7), ring.put(8), ring.put(9)]).toEqual([true, true, true]);
      expect([ring.take(), ring.take()]).toEqual([7, 8]);
      expect(ring.drain()).toEqual([9]);
      expect(ring.take()).toBeUndefined();
    });

    it('should refuse a handle when full, and take one again once one is taken', () => {
      const ring = HandOffRing.create(2);
      expect([ring.put(1), ring.put(2), ring.put(3)]).toEqual([true, true, false]);
      expect(ring.take()).toBe(1);
      expect(ring.put(3)).toBe(true);
      expect(ring.drain()).toEqual([2, 3]);
    });

    it('should keep the order across many turns of its slots', () => {
      const ring = HandOffRing.create(4);
      const taken: number[] = [];
      for (let i = 0; i < 1000; i += 2) {
        expect([ring.put(i), ring.put(i + 1)]).toEqual([true, true]);
        taken.push(ring.take()!, ring.take()!);
      }
      expect(taken).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    });
  });

  describe('when the handle put last is withdrawn', () => {
    it('should leave the others, and have nothing to withdraw once all are taken', () => {
      const ring = HandOffRing.create(4);
      ring.put(1);
      ring.put(2);
      expect(ring.withdraw()).toBe(true);
      expect(ring.drain()).toEqual([1]);
      expect(ring.withdraw()).toBe(false);
    });
  });

  describe('when another thread takes', () => {
    it('should hand every handle over exactly once', async () => {
      const COUNT = 20000;
      const ring = HandOffRing.create(64);
      // The taker sums what it takes until it has taken COUNT handles.
      const taker = new Worker(
        `const { workerData, parentPort } = require('node:worker_threads');
         const ring = require(${JSON.stringify(RING_JS)}).HandOffRing.attach(workerData);
         let sum = 0;
         for (let n = 0; n < ${COUNT}; ) {
           const h = ring.take();
           if (h !== undefined) sum += h, n++;
         }
         parentPort.postMessage(sum);`,
        { eval: true, workerData: ring.memory },
      );
      const sum = new Promise<number>((resolve) => taker.once('message', resolve));
      for (let i = 1; i <= COUNT; ) {
        if (ring.put(i)) i++;
        else await new Promise((resolve) => setImmediate(resolve));
      }
      expect(await sum).toBe((COUNT * (COUNT + 1)) / 2);
      expect(ring.take()).toBeUndefined();
      await taker.terminate();
    });
  });
});
