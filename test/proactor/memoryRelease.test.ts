/**
 * releaseMemory() and SpikeMemoryRelease: the memory a spike left is given
 * back once the load has fallen, and only then. The policy cases run with a
 * stand-in release (counted, instant) and a load the test sets.
 */
import { canReleaseMemory, releaseMemory, SpikeMemoryRelease, type MemoryReleaseReport } from '../../framework/common/MemoryRelease';
import { ProactorError } from '../../framework/common/ProactorError';
import { onlyOnLinux, skipNote } from '../support/platform';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MiB = 1024 * 1024;

(onlyOnLinux ? describe.skip : describe)(`releaseMemory${skipNote(onlyOnLinux)}`, () => {
  it('should collect the garbage a burst left and give the memory back to the system', () => {
    expect(canReleaseMemory()).toBe(true);
    // What closed connections leave: objects and Buffers nothing refers to any more, never collected while idle.
    let garbage: { id: number; block: Buffer; text: string }[] | undefined = [];
    for (let i = 0; i < 150_000; i++) garbage.push({ id: i, block: Buffer.alloc(256, i), text: `line ${i}` });
    garbage = undefined;
    const report = releaseMemory();
    expect(report.heapCollected).toBe(true);
    expect(report.heapAfter).toBeLessThan(report.heapBefore - 10 * MiB);
    expect(report.rssAfter).toBeLessThan(report.rssBefore - 20 * MiB);
    expect(report.durationMs).toBeGreaterThan(0);
  });
});

(onlyOnLinux ? describe : describe.skip)('releaseMemory on a build without it (the Linux build has it)', () => {
  it('should refuse plainly', () => {
    expect(canReleaseMemory()).toBe(false);
    expect(() => releaseMemory()).toThrow(ProactorError);
    try {
      releaseMemory();
    } catch (e) {
      expect((e as ProactorError).kind).toBe('unsupported');
    }
  });
});

describe('SpikeMemoryRelease', () => {
  /** A release that counts and takes no time; the load is `load.now`. */
  function watch(options: { quietMs?: number; minDrop?: number; fail?: boolean } = {}) {
    const load = { now: 0 };
    const told: [number, number][] = [];
    let calls = 0;
    const release = (): MemoryReleaseReport => {
      calls++;
      if (options.fail) throw new Error('no memory to give');
      return { heapCollected: true, rssBefore: 2, rssAfter: 1, heapBefore: 2, heapAfter: 1, durationMs: 1 };
    };
    const spike = new SpikeMemoryRelease(() => load.now, {
      quietMs: options.quietMs ?? 60,
      minDrop: options.minDrop ?? 100,
      release,
      onRelease: (_r, peak, now) => told.push([peak, now]),
    });
    /** n connections open, one at a time, as an acceptor reports them. */
    const rise = (n: number) => {
      while (load.now < n) {
        load.now++;
        spike.rose();
      }
    };
    return { load, spike, rise, told, calls: () => calls };
  }

  it('should release once the load has stayed at a quarter of its peak for the quiet time, then start again from there', async () => {
    const w = watch();
    w.rise(400);
    expect(w.spike.watching()).toBe(true);
    expect(w.spike.peak()).toBe(400);
    w.load.now = 60;
    await sleep(20);
    expect(w.calls()).toBe(0);
    await sleep(150);
    expect(w.calls()).toBe(1);
    expect(w.told).toEqual([[400, 60]]);
    expect(w.spike.releases()).toBe(1);
    expect(w.spike.peak()).toBe(60);
    // Below minDrop now: nothing to watch, nothing more without a new spike.
    expect(w.spike.watching()).toBe(false);
    await sleep(150);
    expect(w.calls()).toBe(1);
    // A second spike is released again.
    w.rise(300);
    w.load.now = 0;
    await sleep(200);
    expect(w.told).toEqual([[400, 60], [300, 0]]);
    w.spike.close();
  });

  it('should go on watching after a release that left the load at minDrop or more, and release again when it falls', async () => {
    const w = watch();
    w.rise(2000);
    w.load.now = 400;
    await sleep(200);
    expect(w.told).toEqual([[2000, 400]]);
    expect(w.spike.watching()).toBe(true);
    // No new peak, but the load falls again.
    w.load.now = 0;
    await sleep(200);
    expect(w.told).toEqual([[2000, 400], [400, 0]]);
    expect(w.spike.watching()).toBe(false);
    w.spike.close();
  });

  it('should turn an exception from onRelease into a warning, not an uncaught exception', async () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      let load = 0;
      const spike = new SpikeMemoryRelease(() => load, {
        quietMs: 40,
        minDrop: 10,
        release: () => ({ heapCollected: true, rssBefore: 2, rssAfter: 1, heapBefore: 2, heapAfter: 1, durationMs: 1 }),
        onRelease: () => {
          throw new Error('the log is gone');
        },
      });
      load = 100;
      spike.rose();
      load = 0;
      await sleep(200);
      expect(spike.releases()).toBe(1);
      expect(warn.mock.calls).toEqual([['SpikeMemoryRelease: onRelease threw: the log is gone']]);
      spike.close();
    } finally {
      warn.mockRestore();
    }
  });

  it('should not watch a load that never rose by minDrop, and so never release', async () => {
    const w = watch({ minDrop: 500 });
    w.rise(499);
    expect(w.spike.watching()).toBe(false);
    w.load.now = 0;
    await sleep(150);
    expect(w.calls()).toBe(0);
    w.spike.close();
  });

  it('should not release while the load stays above a quarter of its peak', async () => {
    const w = watch();
    w.rise(400);
    w.load.now = 101;
    await sleep(250);
    expect(w.calls()).toBe(0);
    expect(w.spike.watching()).toBe(true);
    w.spike.close();
    expect(w.spike.watching()).toBe(false);
  });

  it('should not release when the drop is less than minDrop, however low against the peak', async () => {
    const w = watch({ minDrop: 100 });
    w.rise(120);
    w.load.now = 25;
    await sleep(200);
    expect(w.calls()).toBe(0);
    w.spike.close();
  });

  it('should count the quiet time again when the load comes back up before it has passed', async () => {
    const w = watch({ quietMs: 120 });
    w.rise(400);
    w.load.now = 0;
    await sleep(70);
    w.load.now = 300;
    await sleep(70);
    w.load.now = 0;
    await sleep(70);
    expect(w.calls()).toBe(0);
    await sleep(200);
    expect(w.calls()).toBe(1);
    w.spike.close();
  });

  it('should go on when the release fails, and try again at the next spike', async () => {
    const w = watch({ fail: true });
    w.rise(400);
    w.load.now = 0;
    await sleep(200);
    expect(w.calls()).toBe(1);
    expect(w.spike.releases()).toBe(0);
    expect(w.told).toEqual([]);
    expect(w.spike.watching()).toBe(false);
    w.rise(200);
    w.load.now = 0;
    await sleep(200);
    expect(w.calls()).toBe(2);
    w.spike.close();
  });

  it('should stop for good when closed, even in the middle of a quiet time', async () => {
    const w = watch();
    w.rise(400);
    w.load.now = 0;
    await sleep(20);
    w.spike.close();
    await sleep(150);
    expect(w.calls()).toBe(0);
    w.rise(800);
    expect(w.spike.watching()).toBe(false);
  });

  it('should refuse a quiet time or a drop that is not a positive number', () => {
    for (const options of [{ quietMs: 0 }, { quietMs: -5 }, { quietMs: NaN }, { minDrop: 0 }, { minDrop: Infinity }, { minDrop: 1.5 }]) {
      expect(() => new SpikeMemoryRelease(() => 0, options)).toThrow(ProactorError);
    }
  });

  it('should refuse a load that is not a function, before any timer could call it', () => {
    expect(() => new SpikeMemoryRelease(undefined as unknown as () => number)).toThrow(/needs a function that returns the load now, got undefined/);
    expect(() => new SpikeMemoryRelease(5 as unknown as () => number)).toThrow(/got number/);
  });
});
