/**
 * ACE's tests/Proactor_Timer_Test.cpp, ported: timers at several delays fire
 * in order, one handler per timer and one shared; the odd-numbered timers
 * cancelled before they fire; a repeating timer that cancels itself from
 * handleTimeOut after exactly two expirations, inside a timed run.
 */
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { backends } from '../support/backends';
import { expectNoFdLeaks } from '../support/leaks';

expectNoFdLeaks();

/** ACE's Time_Handler: records the act of each expiry, in order, into a shared log. */
class TimeHandler extends Handler {
  constructor(
    proactor: Proactor,
    private readonly log: unknown[],
  ) {
    super(proactor);
  }
  override handleTimeOut(_time: number, act: unknown) {
    this.log.push(act);
  }
}

const DELAYS_MS = [40, 10, 30, 20, 50];

describe.each(backends)('Proactor_Timer_Test on %s', (backend) => {
  let proactor: Proactor;
  beforeEach(() => {
    proactor = new Proactor({ backend });
  });
  afterEach(async () => {
    await proactor.close();
    expect(proactor.inflight()).toBe(0);
  });

  it.each(['one handler per timer', 'one shared handler'])('should fire timers in deadline order (%s)', async (mode) => {
    const log: unknown[] = [];
    const shared = new TimeHandler(proactor, log);
    DELAYS_MS.forEach((ms) => proactor.scheduleTimer(mode === 'one shared handler' ? shared : new TimeHandler(proactor, log), ms, ms));
    await proactor.proactorRunEventLoop('post-reactive', { timeLimitMs: 200 });
    expect(log).toEqual([...DELAYS_MS].sort((a, b) => a - b));
  });

  it('should never fire the timers cancelled before they expire (the odd ones)', async () => {
    const log: unknown[] = [];
    const handler = new TimeHandler(proactor, log);
    const ids = DELAYS_MS.map((ms, i) => proactor.scheduleTimer(handler, i, ms));
    ids.forEach((id, i) => {
      if (i % 2 === 1) expect(proactor.cancelTimer(id)).toBe(1);
    });
    await proactor.proactorRunEventLoop('call-through', { timeLimitMs: 200 });
    expect([...log].sort()).toEqual([0, 2, 4]);
  });

  it('should let a repeating timer cancel itself after exactly two expirations, inside a timed run', async () => {
    let expirations = 0;
    let id = 0;
    const repeating = new (class extends Handler {
      override handleTimeOut() {
        expirations++;
        if (expirations === 2) expect(proactor.cancelTimer(id)).toBe(1);
      }
    })(proactor);
    id = proactor.scheduleRepeatingTimer(repeating, 'repeat', 10);
    await proactor.proactorRunEventLoop('post-reactive', { timeLimitMs: 150 });
    expect(expirations).toBe(2);
    expect(proactor.proactorEventLoopDone()).toBe(false);
  });
});
