import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { injectable } from 'inversify';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { ProactorError } from '../../framework/common/ProactorError';
import { loadNative, nativeAddonPath } from '../../framework/native/loadNative';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { ProactorFactory } from '../../framework/proactor/ProactorFactory';
import { PROACTOR_IMPL } from '../../framework/proactor/tokens';
import { type AsynchReadStreamResult } from '../../framework/proactor/results/AsynchReadStreamResult';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks } from '../support/leaks';
import { noChildNode, skipNote } from '../support/platform';

const sock = loadNative().socket;
const root = join(__dirname, '..', '..');

expectNoFdLeaks();

/** Counts the timer and wakeup calls it gets. */
class Ticker extends Handler {
  readonly ticks: unknown[] = [];
  wakeups = 0;
  override handleTimeOut(_time: number, act: unknown) {
    this.ticks.push(act);
  }
  override handleWakeup() {
    this.wakeups++;
  }
}

describe('the singleton', () => {
  afterEach(async () => {
    await Proactor.instance().close();
  });

  it('should return the same proactor until it is replaced or closed', async () => {
    const first = Proactor.instance();
    expect(Proactor.instance()).toBe(first);
    const mine = new Proactor();
    expect(Proactor.instance(mine)).toBe(first);
    expect(Proactor.instance()).toBe(mine);
    await first.close();
    await mine.close();
    const fresh = Proactor.instance();
    expect(fresh).not.toBe(mine);
    expect(fresh.implementation().isClosed()).toBe(false);
  });
});

describe.each(backends)('the %s proactor lifecycle', (backend) => {
  let proactor: Proactor;

  beforeEach(() => {
    proactor = new Proactor({ backend });
  });

  afterEach(async () => {
    await proactor.close();
    expect(proactor.inflight()).toBe(0);
  });

  describe('when nothing is in flight', () => {
    it('should time out handleEvents after about the time asked, returning 0', () => {
      const start = process.hrtime.bigint();
      expect(proactor.handleEvents(40)).toBe(0);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      expect(ms).toBeGreaterThanOrEqual(35);
      expect(proactor.handleEvents(0)).toBe(0);
    });
  });

  describe('when timers are scheduled', () => {
    it('should fire once with the act, fire intervals until cancelled, and never fire a cancelled one', async () => {
      const t = new Ticker(proactor);
      proactor.scheduleTimer(t, 'once', 5);
      const every = proactor.scheduleTimer(t, 'every', 5, 5);
      const never = proactor.scheduleTimer(t, 'never', 10_000);
      await dispatchUntil(proactor, () => t.ticks.filter((a) => a === 'every').length >= 3, 'three interval ticks');
      expect(t.ticks).toContain('once');
      expect(proactor.cancelTimer(every)).toBe(1);
      expect(proactor.cancelTimer(never)).toBe(1);
      expect(proactor.cancelTimer(never)).toBe(0);
      await dispatchUntil(proactor, () => proactor.inflight() === 0, 'the cancelled timers to complete');
      const seen = t.ticks.length;
      proactor.handleEvents(30);
      expect(t.ticks.length).toBe(seen);
      expect(t.ticks).not.toContain('never');
      expect(t.ticks.filter((a) => a === 'once')).toHaveLength(1);
    });

    it('should cancel all of a handler\'s timers at once', async () => {
      const t = new Ticker(proactor);
      proactor.scheduleTimer(t, 1, 10_000);
      proactor.scheduleTimer(t, 2, 10_000, 10_000);
      expect(proactor.cancelTimer(t)).toBe(2);
      await dispatchUntil(proactor, () => proactor.inflight() === 0, 'the cancellations');
      expect(t.ticks).toEqual([]);
    });

    it('should refuse a negative or infinite delay', () => {
      expect(() => proactor.scheduleTimer(new Ticker(), 0, -1)).toThrow(ProactorError);
      expect(() => proactor.scheduleTimer(new Ticker(), 0, Infinity)).toThrow(/finite/);
    });
  });

  describe('when wakeup completions are posted', () => {
    it('should call handleWakeup once for each', async () => {
      const t = new Ticker(proactor);
      proactor.proactorPostWakeupCompletions(3, t);
      await dispatchUntil(proactor, () => t.wakeups === 3, 'three wakeups');
      expect(proactor.handleEvents(10)).toBe(0);
      expect(t.wakeups).toBe(3);
    });
  });

  describe('when the event loop runs', () => {
    it.each(['post-reactive', 'call-through'] as const)('should settle the %s loop when a handler ends it', async (strategy) => {
      const stopper = new (class extends Handler {
        override handleTimeOut() {
          this.proactor()!.proactorEndEventLoop();
        }
      })(proactor);
      proactor.scheduleTimer(stopper, undefined, 10);
      expect(proactor.proactorEventLoopDone()).toBe(false);
      await proactor.proactorRunEventLoop(strategy);
      expect(proactor.proactorEventLoopDone()).toBe(true);
    });
  });

  describe('when the garbage collector runs with reads in flight', () => {
    it('should keep every buffer alive and deliver intact payloads', async () => {
      const gc = (global as { gc?: () => void }).gc;
      if (!gc) throw new Error('run the tests with node --expose-gc (npm test does)');
      const N = 64;
      const pairs = Array.from({ length: N }, () => sock.pair() as [number, number]);
      const digests = new Map<number, string>();
      const reader = new (class extends Handler {
        override handleReadStream(r: AsynchReadStreamResult) {
          digests.set(r.act as number, createHash('sha256').update(r.messageBlock.data()).digest('hex'));
        }
      })(proactor);
      // Only the in-flight table references these message blocks.
      pairs.forEach(([a], i) => {
        const rs = new AsynchReadStream();
        rs.open(reader, a, undefined, proactor);
        rs.read(new MessageBlock(4096), 4096, i);
      });
      proactor.handleEvents(0);
      for (let round = 0; round < 3; round++) {
        Array.from({ length: 2000 }, (_, i) => Buffer.alloc(1024, i));
        gc();
      }
      const sent = pairs.map(([, b], i) => {
        const payload = Buffer.alloc(4096, i % 251);
        payload.writeUInt32LE(i, 0);
        expect(sock.sendNow(b, payload, 0, payload.length)).toBe(payload.length);
        return createHash('sha256').update(payload).digest('hex');
      });
      await dispatchUntil(proactor, () => digests.size === N, `${N} reads`);
      sent.forEach((digest, i) => expect(digests.get(i)).toBe(digest));
      for (const [a, b] of pairs) {
        sock.close(a);
        sock.close(b);
      }
    });
  });
});

describe('io_uring set-up options', () => {
  const uring = backends.includes('uring') ? it : it.skip;

  uring('should defer task work by default, and drop it for SQPOLL, which excludes it (skipped without io_uring)', async () => {
    const plain = new Proactor({ backend: 'uring' });
    const polled = new Proactor({ backend: 'uring', sqpoll: true });
    const eager = new Proactor({ backend: 'uring', deferTaskrun: false });
    try {
      expect(plain.implementation().describe()).toMatch(/defer-taskrun/);
      expect(polled.implementation().describe()).toMatch(/sqpoll/);
      expect(polled.implementation().describe()).not.toMatch(/defer-taskrun/);
      expect(eager.implementation().describe()).not.toMatch(/defer-taskrun/);
      // Each still runs operations.
      for (const p of [plain, polled, eager]) {
        const t = new Ticker(p);
        p.proactorPostWakeupCompletions(2, t);
        await dispatchUntil(p, () => t.wakeups === 2, `wakeups on ${p.implementation().describe()}`);
      }
    } finally {
      await Promise.all([plain.close(), polled.close(), eager.close()]);
    }
  });
});

describe('the addon in worker threads', () => {
  it('should run an independent ring in each worker', async () => {
    const script = `
      const { parentPort, workerData } = require('node:worker_threads');
      const n = require(workerData.addon);
      const cq = new Int32Array(64);
      const p = new n.Proactor(workerData.backend, {}, cq, () => {});
      const [a, b] = n.socket.pair();
      const buf = Buffer.alloc(8);
      p.read(5, 1, a, buf, 0, 8, -1);
      p.submit();
      n.socket.sendNow(b, Buffer.from('worker'), 0, 6);
      const ready = p.wait(2000);
      const count = p.reap();
      p.destroy();
      n.socket.close(a); n.socket.close(b);
      parentPort.postMessage({ ready, count, slot: cq[0], res: cq[2], text: buf.subarray(0, 6).toString() });`;
    const addon = nativeAddonPath();
    const results = await Promise.all(
      [0, 1].map(
        () =>
          new Promise((resolve, reject) => {
            const w = new Worker(script, { eval: true, workerData: { addon, backend: backends[0] } });
            let message: unknown;
            w.once('message', (m) => (message = m));
            w.once('error', reject);
            // Its own loop's fds are closed only once it has exited.
            w.once('exit', () => resolve(message));
          }),
      ),
    );
    for (const r of results) expect(r).toEqual({ ready: 1, count: 1, slot: 5, res: 6, text: 'worker' });
  });
});

describe('the factory', () => {
  @injectable()
  class RefusingImpl {
    constructor() {
      throw new ProactorError('backend-unavailable', 'refusing: io_uring_setup: EPERM', 1, 'io_uring_setup');
    }
  }
  ProactorFactory.container().bind(PROACTOR_IMPL).to(RefusingImpl as never).whenNamed('refusing');

  it('should say which backend failed and why when every choice is refused', () => {
    let caught: unknown;
    try {
      ProactorFactory.create({ backend: 'refusing' });
    } catch (e) {
      caught = e;
    }
    expect(ProactorError.is(caught, 'backend-unavailable')).toBe(true);
    expect((caught as ProactorError).message).toMatch(/refusing: .*EPERM/);
    expect((caught as ProactorError).code).toBe('EPERM');
  });

  it('should fall back to the next backend in the preference list', async () => {
    const p = new Proactor({ backend: `refusing,${backends[0]}` });
    expect(p.backend).toBe(backends[0]);
    await p.close();
  });

  it('should refuse an unknown backend name, listing the known ones', () => {
    expect(() => ProactorFactory.create({ backend: 'nope' })).toThrow(/nope: no such backend/);
  });

  (noChildNode ? it.skip : it)(`should tell NODE_DEBUG=proactor which backend it chose and why${skipNote(noChildNode)}`, () => {
    const child = spawnSync(process.execPath, ['-e', "require('./dist/framework').Proactor.instance().close()"], {
      cwd: root,
      env: { ...process.env, NODE_DEBUG: 'proactor', PROACTOR_BACKEND: '' },
      encoding: 'utf8',
    });
    expect(child.status).toBe(0);
    expect(child.stderr).toMatch(new RegExp(`PROACTOR \\d+: backend ${backends[0]} chosen \\(the platform default\\)`));
  });
});
