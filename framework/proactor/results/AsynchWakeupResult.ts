import { type NativeProactor } from '../../native/NativeBinding';
import { AsynchResult } from '../AsynchResult';
import { type Handler } from '../Handler';

/** ACE_POSIX_Wakeup_Completion — a no-op completion that wakes a dispatching thread. */
export class AsynchWakeupResult extends AsynchResult {
  constructor(handler: Handler) {
    super(handler, undefined, undefined, 0, 0, null);
  }

  /** @internal */
  prepare(native: NativeProactor): number {
    return native.nop(this.slot, this.gen);
  }

  protected dispatch(): void {
    this.handler()?.handleWakeup();
  }
}
