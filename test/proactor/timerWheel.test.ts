import { Proactor } from '../../framework/proactor/Proactor';
import { Deadline, TimerWheel } from '../../framework/proactor/TimerWheel';
import { monotonicMs } from '../../framework/proactor/results/AsynchTimerResult';
import { backends } from '../support/backends';
import { expectNoFdLeaks } from '../support/leaks';

expectNoFdLeaks();

const TICK_MS = 10;

/** Runs the proactor until done() or 5 s. */
async function runUntil(proactor: Proactor, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done() && Date.now() < deadline) proactor.handleEvents(20);
}

describe.each(backends)('a TimerWheel on the %s proactor', (backend) => {
  let proactor: Proactor;
  beforeEach(() => (proactor = new Proactor({ backend })));
  afterEach(async () => {
    await proactor.close();
  });

  it('should expire each deadline once, not before its time, with one kernel timer for all of them', async () => {
    const wheel = new TimerWheel(proactor, TICK_MS);
    const expired: [number, number][] = [];
    const delays = [30, 10, 50, 20, 40, 10];
    const deadlines = delays.map((_, i) => new Deadline(() => expired.push([i, monotonicMs()])));
    deadlines.forEach((d, i) => wheel.arm(d, delays[i]));
    const due = deadlines.map((d) => d.at);
    expect(wheel.size).toBe(delays.length);
    expect(proactor.implementation().inflight()).toBe(1);
    await runUntil(proactor, () => expired.length === delays.length);
    expect(expired.map(([i]) => i).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const [i, at] of expired) expect(at).toBeGreaterThanOrEqual(due[i]);
    // In order of their deadlines; those within one tick of each other in either order.
    for (let k = 1; k < expired.length; k++) expect(due[expired[k][0]]).toBeGreaterThan(due[expired[k - 1][0]] - TICK_MS);
    expect(wheel.size).toBe(0);
    // Nothing armed: the wheel's timer is gone.
    await runUntil(proactor, () => proactor.implementation().inflight() === 0);
    expect(proactor.implementation().inflight()).toBe(0);
  });

  it('should not expire a deadline that was pushed back or disarmed, and expire the pushed-back one at its new time', async () => {
    const wheel = new TimerWheel(proactor, TICK_MS);
    const log: string[] = [];
    const pushed = new Deadline(() => log.push('pushed'));
    const dropped = new Deadline(() => log.push('dropped'));
    const marker = new Deadline(() => log.push('marker'));
    const start = monotonicMs();
    wheel.arm(pushed, 20);
    wheel.arm(dropped, 20);
    wheel.arm(marker, 60);
    wheel.arm(pushed, 120);
    wheel.disarm(dropped);
    expect(dropped.isArmed()).toBe(false);
    let pushedAt = 0;
    await runUntil(proactor, () => log.includes('pushed') && (pushedAt ||= monotonicMs() - start) > 0);
    expect(log).toEqual(['marker', 'pushed']);
    expect(pushedAt).toBeGreaterThanOrEqual(119);
  });

  it('should let an expiry re-arm its own deadline, and stop its timer at close()', async () => {
    const wheel = new TimerWheel(proactor, TICK_MS);
    let fired = 0;
    const d: Deadline = new Deadline(() => {
      if (++fired < 3) wheel.arm(d, 10);
    });
    wheel.arm(d, 10);
    await runUntil(proactor, () => fired === 3);
    expect(fired).toBe(3);
    wheel.arm(new Deadline(() => fired++), 10_000);
    expect(proactor.implementation().inflight()).toBe(1);
    wheel.close();
    expect(wheel.size).toBe(0);
    await runUntil(proactor, () => proactor.implementation().inflight() === 0);
    expect(proactor.implementation().inflight()).toBe(0);
    expect(fired).toBe(3);
  });
});
