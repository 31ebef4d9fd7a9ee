import { type Handle } from '../../common/Handle';
import { type InetAddr } from '../../common/InetAddr';
import { type NativeProactor } from '../../native/NativeBinding';
import { type AsynchOperation } from '../AsynchOperation';
import { AsynchResult } from '../AsynchResult';
import { type Handler } from '../Handler';

/** ACE_Asynch_Connect::Result — a connection attempt's outcome. */
export class AsynchConnectResult extends AsynchResult {
  constructor(
    handler: Handler | null,
    /** The connecting socket; the caller owns it, success or not. */
    readonly connectHandle: Handle,
    /** Where it connected to. */
    readonly remoteAddress: InetAddr,
    act: unknown,
    completionKey: unknown,
    priority: number,
    signalNumber: number,
    owner: AsynchOperation | null,
  ) {
    super(handler, act, completionKey, priority, signalNumber, owner);
  }

  /** @internal */
  prepare(native: NativeProactor): number {
    const sa = this.remoteAddress.toSockaddr();
    return native.connect(this.slot, this.gen, this.connectHandle, sa, sa.length);
  }

  protected dispatch(): void {
    this.handler()?.handleConnect(this);
  }
}
