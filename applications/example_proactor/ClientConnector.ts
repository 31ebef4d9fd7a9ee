import { type InetAddr } from '../../framework/common/InetAddr';
import { type Proactor } from '../../framework/proactor/Proactor';
import { AsynchConnector } from '../../framework/proactor/AsynchConnector';
import { type AsynchConnectResult } from '../../framework/proactor/results/AsynchConnectResult';
import { ClientHandler } from './ClientHandler';

/**
 * The client's Connector (an ACE Asynch_Connector): each connectTo() starts
 * an asynchronous connect and settles when its ClientHandler is open, or
 * with the reason the connect failed.
 */
export class ClientConnector extends AsynchConnector<ClientHandler> {
  private readonly pending = new Map<number, { resolve: (h: ClientHandler) => void; reject: (e: Error) => void }>();
  private nextAct = 0;

  constructor(proactor: Proactor) {
    super();
    this.open({ proactor, validateNewConnection: true, makeHandler: () => new ClientHandler((handler, act) => this.opened(handler, act)) });
  }

  /** Connects to remote; resolves with the open handler. */
  connectTo(remote: InetAddr): Promise<ClientHandler> {
    const act = this.nextAct++;
    return new Promise((resolve, reject) => {
      this.pending.set(act, { resolve, reject });
      try {
        this.connect(remote, undefined, true, act);
      } catch (e) {
        this.pending.delete(act);
        reject(e as Error);
      }
    });
  }

  override validateConnection(result: AsynchConnectResult, remote: InetAddr): boolean {
    if (!result.success) {
      const act = result.act as number;
      this.pending.get(act)?.reject(new Error(`connect to ${remote}: ${result.errorCode}`));
      this.pending.delete(act);
    }
    return true;
  }

  private opened(handler: ClientHandler, act: unknown): void {
    this.pending.get(act as number)?.resolve(handler);
    this.pending.delete(act as number);
  }
}
