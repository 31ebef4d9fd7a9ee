/**
 * ACE's tests/Proactor_Stress_Test.cpp, ported: zero-delay timers that
 * reschedule themselves from handleTimeOut until at least 100,000 callbacks
 * have run, in bounded time, then a clean shutdown with nothing in flight.
 */
import { Handler } from '../../framework/proactor/Handler';
import { Proactor } from '../../framework/proactor/Proactor';
import { backends } from '../support/backends';
import { expectNoFdLeaks } from '../support/leaks';

expectNoFdLeaks();

const CALLBACKS = 100_000;
const TIMERS = 16;

describe.each(backends)('Proactor_Stress_Test on %s', (backend) => {
  it.each(['post-reactive', 'call-through'] as const)(`should run ${CALLBACKS} self-rescheduling zero-delay timers (%s), then shut down clean`, async (strategy) => {
    const proactor = new Proactor({ backend });
    let callbacks = 0;
    const rescheduler = new (class extends Handler {
      override handleTimeOut(_time: number, act: unknown) {
        callbacks++;
        if (callbacks + TIMERS <= CALLBACKS) proactor.scheduleTimer(this, act, 0);
        else if (callbacks === CALLBACKS) proactor.proactorEndEventLoop();
      }
    })(proactor);
    for (let i = 0; i < TIMERS; i++) proactor.scheduleTimer(rescheduler, i, 0);
    await proactor.proactorRunEventLoop(strategy, { timeLimitMs: 20_000 });
    expect(callbacks).toBe(CALLBACKS);
    expect(proactor.proactorEventLoopDone()).toBe(true);
    await proactor.close();
    expect(proactor.inflight()).toBe(0);
  });
});
