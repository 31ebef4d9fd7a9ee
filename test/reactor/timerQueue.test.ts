import { EventHandler } from '../../framework/reactor/EventHandler';
import { TimerQueue } from '../../framework/reactor/TimerQueue';

/** A deterministic stream of numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
}

describe('TimerQueue (binary heap)', () => {
  const handler = new EventHandler();

  it('should pop due timers in deadline order, ties in scheduling order, with random cancels', () => {
    const q = new TimerQueue();
    const rand = lcg(7);
    const live = new Map<number, number>();
    for (let i = 0; i < 2000; i++) {
      const deadline = Math.floor(rand() * 500);
      live.set(q.schedule(handler, i, deadline, 0), deadline);
    }
    for (const id of [...live.keys()].filter(() => rand() < 0.3)) {
      expect(q.cancel(id)?.id).toBe(id);
      live.delete(id);
    }
    expect(q.size).toBe(live.size);
    const popped: { id: number; deadline: number }[] = [];
    const mark = q.mark();
    for (let n = q.popDue(1000, mark); n; n = q.popDue(1000, mark)) popped.push({ id: n.id, deadline: n.deadline });
    const expected = [...live.entries()].map(([id, deadline]) => ({ id, deadline })).sort((a, b) => a.deadline - b.deadline || a.id - b.id);
    expect(popped).toEqual(expected);
    expect(q.size).toBe(0);
  });

  it('should take only what is due, and nothing scheduled after the mark', () => {
    const q = new TimerQueue();
    q.schedule(handler, 'a', 10, 0);
    q.schedule(handler, 'b', 30, 0);
    const mark = q.mark();
    q.schedule(handler, 'late', 5, 0);
    expect(q.earliest()).toBe(5);
    expect(q.popDue(20, mark)).toBeUndefined();
    expect(q.popDue(20, q.mark())?.act).toBe('late');
    expect(q.popDue(20, q.mark())?.act).toBe('a');
    expect(q.popDue(20, q.mark())).toBeUndefined();
  });

  it('should re-arm an interval timer one period on, or a period from now when it fell behind', () => {
    const q = new TimerQueue();
    const id = q.schedule(handler, 'tick', 10, 10);
    expect(q.popDue(10, q.mark())?.id).toBe(id);
    expect(q.get(id)?.deadline).toBe(20);
    expect(q.popDue(25, q.mark())?.id).toBe(id);
    expect(q.get(id)?.deadline).toBe(30);
    const mark = q.mark();
    expect(q.popDue(1000, mark)?.id).toBe(id);
    expect(q.get(id)?.deadline).toBe(1010);
    expect(q.popDue(1000, mark)).toBeUndefined();
    expect(q.cancel(id)?.act).toBe('tick');
    expect(q.earliest()).toBe(Infinity);
  });
});
