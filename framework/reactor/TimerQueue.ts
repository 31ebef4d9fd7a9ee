import { type EventHandler } from './EventHandler';

/** One scheduled timer. */
export interface TimerNode {
  readonly id: number;
  readonly handler: EventHandler;
  readonly act: unknown;
  /** Due time on the monotonic clock (performance.now()). */
  deadline: number;
  /** Re-arm period in ms; 0 fires once. */
  interval: number;
  /** Tie-break: timers due at once fire in the order they were scheduled. */
  seq: number;
  /** Position in the heap; -1 once out of it. */
  index: number;
}

/**
 * ACE_Timer_Heap — the Reactor's timer queue: a binary min-heap on the due
 * time, each node knowing its position so cancel is O(log n). The Reactor
 * waits in the kernel no longer than until the earliest timer is due.
 */
export class TimerQueue {
  private readonly heap: TimerNode[] = [];
  private readonly byId = new Map<number, TimerNode>();
  private nextId = 1;
  private nextSeq = 0;

  /** Timers scheduled and not yet cancelled (interval timers stay). */
  get size(): number {
    return this.heap.length;
  }

  /** Schedules handler's timer; returns its id (> 0). */
  schedule(handler: EventHandler, act: unknown, deadline: number, interval: number): number {
    const node: TimerNode = { id: this.nextId++, handler, act, deadline, interval, seq: this.nextSeq++, index: this.heap.length };
    this.heap.push(node);
    this.byId.set(node.id, node);
    this.up(node.index);
    return node.id;
  }

  /** The timer with this id, if scheduled. */
  get(id: number): TimerNode | undefined {
    return this.byId.get(id);
  }

  /** Removes the timer; returns it, or undefined if it was not scheduled. */
  cancel(id: number): TimerNode | undefined {
    const node = this.byId.get(id);
    if (!node) return undefined;
    this.byId.delete(id);
    const last = this.heap.pop()!;
    if (last !== node) {
      this.heap[node.index] = last;
      last.index = node.index;
      this.down(last.index);
      this.up(last.index);
    }
    node.index = -1;
    return node;
  }

  /** Every timer of handler (a copy). */
  timersOf(handler: EventHandler): TimerNode[] {
    return this.heap.filter((node) => node.handler === handler);
  }

  /** Every timer (a copy). */
  all(): TimerNode[] {
    return [...this.heap];
  }

  /** The earliest due time, or Infinity with no timers. */
  earliest(): number {
    return this.heap.length ? this.heap[0].deadline : Infinity;
  }

  /** A mark for popDue: timers scheduled from now on are not due in this pass. */
  mark(): number {
    return this.nextSeq;
  }

  /**
   * Takes the earliest timer due at now that was scheduled before mark, or
   * undefined. An interval timer is put back, due one period later (a
   * period from now, if it fell behind), so it fires once per pass; a timer
   * scheduled by a callback waits for the next pass.
   */
  popDue(now: number, mark: number): TimerNode | undefined {
    const top = this.heap[0];
    if (!top || top.deadline > now || top.seq >= mark) return undefined;
    this.cancel(top.id);
    if (top.interval > 0) {
      top.deadline = top.deadline + top.interval > now ? top.deadline + top.interval : now + top.interval;
      top.seq = this.nextSeq++;
      top.index = this.heap.length;
      this.heap.push(top);
      this.byId.set(top.id, top);
      this.up(top.index);
    }
    return top;
  }

  private before(a: TimerNode, b: TimerNode): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
  }

  private up(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i], heap[parent])) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && this.before(heap[left], heap[least])) least = left;
      if (right < heap.length && this.before(heap[right], heap[least])) least = right;
      if (least === i) return;
      this.swap(i, least);
      i = least;
    }
  }

  private swap(i: number, j: number): void {
    const heap = this.heap;
    [heap[i], heap[j]] = [heap[j], heap[i]];
    heap[i].index = i;
    heap[j].index = j;
  }
}
