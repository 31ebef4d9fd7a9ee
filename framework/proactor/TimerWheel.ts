import { Handler } from './Handler';
import { type Proactor } from './Proactor';
import { monotonicMs } from './results/AsynchTimerResult';

/** One deadline on a TimerWheel: armed, moved and disarmed without a system call. */
export class Deadline {
  /** When it expires, in monotonicMs(); 0 while disarmed. */
  at = 0;
  /** @internal The wheel tick whose bucket holds it; -1 while in none. */
  tick = -1;

  constructor(
    /** Called once when the deadline passes while armed. */
    readonly onExpire: () => void,
  ) {}

  /** Whether the deadline is set (armed and not yet expired or disarmed). */
  isArmed(): boolean {
    return this.at !== 0;
  }
}

/** Ticks in one turn of the wheel; a deadline further away is re-bucketed as the wheel turns. */
const WHEEL_SIZE = 256;

/**
 * A hashed timer wheel (Varghese and Lauck; ACE_Timer_Wheel) for many
 * coarse deadlines — idle and read timeouts, one or two per connection — on
 * one Proactor interval timer, which runs only while a deadline is armed.
 * Re-arming a deadline later (the idle timeout pushed back at each message)
 * only stores a number: the deadline stays in its bucket, and when that
 * bucket's tick comes the wheel sees it was pushed back and moves it.
 * Arming, moving or disarming is O(1) and never a system call; a deadline
 * expires within one tick after its time.
 *
 * @example
 * const wheel = new TimerWheel(proactor, 100);
 * const idle = new Deadline(() => handler.close());
 * wheel.arm(idle, 30_000); // at every message: the same call, no system call
 * wheel.disarm(idle); // at close
 */
export class TimerWheel extends Handler {
  private readonly buckets: Set<Deadline>[] = Array.from({ length: WHEEL_SIZE }, () => new Set());
  /** The last tick whose bucket has been run. */
  private ranTick: number;
  private armed = 0;
  private timer = 0;
  private closed = false;

  constructor(
    private readonly owner: Proactor,
    /** The wheel's resolution in ms: a deadline expires at most this late. */
    readonly tickMs = 100,
  ) {
    super(owner);
    if (!(tickMs > 0)) throw new RangeError(`TimerWheel: tickMs must be > 0, got ${tickMs}`);
    this.ranTick = Math.floor(monotonicMs() / tickMs);
  }

  /** Deadlines armed now. */
  get size(): number {
    return this.armed;
  }

  /** Arms deadline to expire in ms (re-arms it if it is armed). */
  arm(deadline: Deadline, ms: number): void {
    if (this.closed) return;
    const at = monotonicMs() + Math.max(0, ms);
    if (deadline.at === 0) this.armed++;
    deadline.at = at;
    // Already in a bucket that comes no later: it is moved when that bucket runs.
    if (deadline.tick >= 0 && deadline.tick <= this.tickOf(at)) return;
    this.place(deadline);
    if (this.timer === 0) this.timer = this.owner.scheduleRepeatingTimer(this, undefined, this.tickMs);
  }

  /** Disarms deadline; it will not expire. */
  disarm(deadline: Deadline): void {
    if (deadline.at === 0) return;
    deadline.at = 0;
    this.armed--;
    this.unplace(deadline);
    this.stopIfIdle();
  }

  /** Disarms every deadline and stops the wheel's timer. */
  close(): void {
    this.closed = true;
    for (const bucket of this.buckets) {
      for (const d of bucket) {
        d.at = 0;
        d.tick = -1;
      }
      bucket.clear();
    }
    this.armed = 0;
    this.stopIfIdle();
  }

  /** @internal The interval timer: runs every bucket whose tick has come. */
  override handleTimeOut(): void {
    const now = monotonicMs();
    // Only ticks wholly past: every deadline in their buckets is due, unless pushed back.
    const nowTick = Math.floor(now / this.tickMs);
    // A late timer runs the ticks it missed, at most one turn's worth.
    for (let tick = Math.max(this.ranTick + 1, nowTick - WHEEL_SIZE + 1); tick <= nowTick; tick++) {
      // Moved deadlines go to later buckets, never back into this one.
      this.ranTick = tick;
      const bucket = this.buckets[tick % WHEEL_SIZE];
      for (const d of bucket) {
        if (d.tick > tick) continue;
        bucket.delete(d);
        d.tick = -1;
        if (d.at > now) {
          this.place(d);
          continue;
        }
        d.at = 0;
        this.armed--;
        try {
          d.onExpire();
        } catch (e) {
          this.owner.errorHook(e, undefined);
        }
      }
    }
    this.ranTick = nowTick;
    this.stopIfIdle();
  }

  /** The first tick at or after ms: a deadline's bucket. */
  private tickOf(ms: number): number {
    return Math.ceil(ms / this.tickMs);
  }

  /** Puts d in the bucket of its deadline's tick, or of the last tick of this turn if it is further. */
  private place(d: Deadline): void {
    this.unplace(d);
    const tick = Math.min(Math.max(this.tickOf(d.at), this.ranTick + 1), this.ranTick + WHEEL_SIZE - 1);
    d.tick = tick;
    this.buckets[tick % WHEEL_SIZE].add(d);
  }

  private unplace(d: Deadline): void {
    if (d.tick < 0) return;
    this.buckets[d.tick % WHEEL_SIZE].delete(d);
    d.tick = -1;
  }

  private stopIfIdle(): void {
    if (this.armed > 0 || this.timer === 0) return;
    this.owner.cancelTimer(this.timer);
    this.timer = 0;
  }
}
