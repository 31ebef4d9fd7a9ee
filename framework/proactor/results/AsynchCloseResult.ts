import { type Handle } from '../../common/Handle';
import { type NativeProactor } from '../../native/NativeBinding';
import { AsynchResult } from '../AsynchResult';

/**
 * Closing a handle through the proactor: everything in flight on it is
 * cancelled (and completes with ECANCELED), then the handle is closed.
 */
export class AsynchCloseResult extends AsynchResult {
  constructor(
    /** The handle being closed. */
    readonly handle: Handle,
    private readonly done: (result: AsynchCloseResult) => void,
  ) {
    super(null, undefined, undefined, 0, 0, null);
  }

  /** @internal */
  prepare(native: NativeProactor): number {
    return native.close(this.slot, this.gen, this.handle);
  }

  protected dispatch(): void {
    this.done(this);
  }
}
