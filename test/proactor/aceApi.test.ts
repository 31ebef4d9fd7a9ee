import { type Handle } from '../../framework/common/Handle';
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { EventHandler } from '../../framework/reactor/EventHandler';
import { Reactor } from '../../framework/reactor/Reactor';
import { ReactorMask } from '../../framework/reactor/ReactorMask';
import { backends } from '../support/backends';
import { dispatchUntil } from '../support/drive';
import { expectNoFdLeaks } from '../support/leaks';

expectNoFdLeaks();

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Counts its timer and wakeup calls, keeping each act. */
class Counter extends Handler {
  readonly acts: unknown[] = [];
  wakeups = 0;
  override handleTimeOut(_time: number, act: unknown) {
    this.acts.push(act);
  }
  override handleWakeup() {
    this.wakeups++;
  }
}

describe.each(backends)("ACE's Proactor API on %s", (backend) => {
  let proactor: Proactor;
  beforeEach(() => {
    proactor = new Proactor({ backend });
  });
  afterEach(async () => {
    await proactor.close();
  });

  it.each(['post-reactive', 'call-through'] as const)('should end a timed %s run when the time is up, without asking the loop to end', async (strategy) => {
    const c = new Counter(proactor);
    proactor.scheduleTimer(c, 'during', 10);
    const t0 = Date.now();
    await proactor.proactorRunEventLoop(strategy, { timeLimitMs: 80 });
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(75);
    expect(ms).toBeLessThan(1000);
    expect(c.acts).toEqual(['during']);
    expect(proactor.proactorEventLoopDone()).toBe(false);
    expect(() => proactor.proactorRunEventLoop(strategy, { timeLimitMs: -1 })).toThrow(/timeLimitMs/);
    // Beyond what a Node timer can wait: refused, not cut to 1 ms.
    expect(() => proactor.proactorRunEventLoop(strategy, { timeLimitMs: 2 ** 31 })).toThrow(/timeLimitMs/);
  });

  it('should reset the request to end', async () => {
    const run = proactor.proactorRunEventLoop();
    proactor.proactorEndEventLoop();
    await run;
    expect(proactor.proactorEventLoopDone()).toBe(true);
    proactor.proactorResetEventLoop();
    expect(proactor.proactorEventLoopDone()).toBe(false);
  });

  // A completion port is not a socket: there is nothing another loop could poll.
  const noPollableHandle = backend === 'iocp' ? ' (skipped on iocp: a completion port has no handle another loop can poll)' : '';
  (noPollableHandle ? it.skip : it)(`should give a handle another loop can watch: here a Reactor, which calls handleEvents(0) when it polls readable${noPollableHandle}`, async () => {
    const reactor = new Reactor();
    try {
      const c = new Counter(proactor);
      const handle = proactor.getHandle();
      let inputs = 0;
      const bridge = new (class extends EventHandler {
        override getHandle(): Handle {
          return handle;
        }
        override handleInput(_h: Handle): number {
          inputs++;
          proactor.handleEvents(0);
          return 0;
        }
      })(reactor);
      reactor.registerHandler(bridge, ReactorMask.READ_MASK);
      void reactor.runReactorEventLoop();
      proactor.proactorPostWakeupCompletions(2, c);
      const deadline = Date.now() + 3000;
      while (c.wakeups < 2 && Date.now() < deadline) await sleep(5);
      expect(c.wakeups).toBe(2);
      // Once taken, nothing is announced any more: the handle is quiet.
      const settled = inputs;
      await sleep(50);
      expect(inputs).toBeLessThanOrEqual(settled + 1);
      reactor.removeHandler(bridge, ReactorMask.READ_MASK | ReactorMask.DONT_CALL);
      reactor.endReactorEventLoop();
    } finally {
      await reactor.close();
    }
  });

  it('should repeat a timer, and hand back its act when it is cancelled', async () => {
    const c = new Counter(proactor);
    const id = proactor.scheduleRepeatingTimer(c, 'tick', 5);
    await dispatchUntil(proactor, () => c.acts.length >= 3, 'three ticks');
    const out: { act?: unknown } = {};
    expect(proactor.cancelTimer(id, out)).toBe(1);
    expect(out.act).toBe('tick');
    expect(proactor.cancelTimer(id, out)).toBe(0);
    expect(() => proactor.scheduleRepeatingTimer(c, 'never', 0)).toThrow(/interval must be > 0/);
  });
});

describe('Proactor.closeSingleton', () => {
  it('should close the process-wide Proactor and forget it', async () => {
    const first = Proactor.instance();
    await Proactor.closeSingleton();
    expect(first.implementation().isClosed()).toBe(true);
    const second = Proactor.instance();
    expect(second).not.toBe(first);
    await Proactor.closeSingleton();
    await Proactor.closeSingleton();
  });
});
