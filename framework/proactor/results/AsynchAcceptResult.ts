import { HandOffInbox } from '../../common/HandOffInbox';
import { INVALID_HANDLE, type Handle } from '../../common/Handle';
import { InetAddr } from '../../common/InetAddr';
import { type MessageBlock } from '../../common/MessageBlock';
import { ProactorError } from '../../common/ProactorError';
import { SockStream } from '../../common/SockStream';
import { Errno } from '../../common/errno';
import { type NativeProactor } from '../../native/NativeBinding';
import { loadNative } from '../../native/loadNative';
import { type AsynchOperation } from '../AsynchOperation';
import { AsynchResult } from '../AsynchResult';
import { type Handler } from '../Handler';
import { closeConnection } from '../handOffConnection';

/**
 * ACE_Asynch_Accept::Result — a new connection. With bytesToRead > 0 the
 * accept also reads the connection's first bytes into messageBlock before
 * it completes (as AcceptEx does); bytesTransferred counts them. A
 * multishot accept completes once per connection with this same object,
 * `more` true while it keeps accepting. On a ProactorPool thread that is
 * handed its connections, the listening handle is the thread's doorbell
 * (HandOffInbox): the accept reads one byte from it and takes the
 * connection that byte announces.
 */
export class AsynchAcceptResult extends AsynchResult {
  /** The accepted connection's handle; INVALID_HANDLE until success. */
  acceptHandle: Handle = INVALID_HANDLE;
  /** The kernel writes the peer's sockaddr here. */
  private readonly addressBlock: Buffer;
  /** 'accept' until the connection is there, then 'read' for its first bytes. */
  private phase: 'accept' | 'read' = 'accept';
  /** Where the connection comes from when a pool hands it over; its doorbell byte lands in addressBlock. */
  private readonly inbox: HandOffInbox | undefined;
  /**
   * The doorbell read failed (end of stream: the pool closed its end; or a
   * reset): no connection will come through it again, so an accept issued
   * again would fail at once, over and over.
   */
  handOffEnded = false;

  constructor(
    handler: Handler | null,
    /** The listening handle. */
    readonly listenHandle: Handle,
    /** Receives the first bytes when bytesToRead > 0. */
    readonly messageBlock: MessageBlock,
    /** How many first bytes to read with the accept (0: none). */
    readonly bytesToRead: number,
    act: unknown,
    completionKey: unknown,
    priority: number,
    signalNumber: number,
    owner: AsynchOperation | null,
    /** Accept until cancelled (one completion per connection) */
    private readonly multishot = false,
  ) {
    super(handler, act, completionKey, priority, signalNumber, owner);
    this.addressBlock = Buffer.alloc(multishot ? 0 : loadNative().socket.constants.ADDRESS_BLOCK_SIZE);
    this.inbox = HandOffInbox.of(listenHandle);
  }

  /** The peer's address: as the kernel reported it at accept, or (multishot, handed over) asked of the socket. */
  remoteAddress(): InetAddr {
    if (this.multishot || this.inbox) return SockStream.address(this.acceptHandle, 'remote');
    return InetAddr.fromSockaddr(this.addressBlock, loadNative().socket.constants.ADDRESS_OFFSET);
  }

  /** @internal */
  prepare(native: NativeProactor): number {
    if (this.multishot) return native.acceptMultishot(this.slot, this.gen, this.listenHandle);
    if (this.phase === 'accept' && this.inbox) return native.read(this.slot, this.gen, this.listenHandle, this.addressBlock, 0, 1, -1);
    if (this.phase === 'accept') return native.accept(this.slot, this.gen, this.listenHandle, this.addressBlock);
    const mb = this.messageBlock;
    return native.read(this.slot, this.gen, this.acceptHandle, mb.buffer, mb.wrPtr(), this.bytesToRead, -1);
  }

  /** @internal */
  override complete(res: number, flags: number): void {
    if (this.multishot) {
      this.acceptHandle = res >= 0 ? res : INVALID_HANDLE;
      super.complete(res < 0 ? res : 0, flags);
      return;
    }
    if (this.phase === 'accept') {
      // One doorbell byte: one connection in the ring. End of stream: the pool closed its end.
      if (this.inbox) {
        this.handOffEnded = res === 0 || (res < 0 && res !== -Errno.ECANCELED && res !== -Errno.EINTR && res !== -Errno.EAGAIN);
        res = res > 0 ? this.inbox.take() : res === 0 ? -Errno.EPIPE : res;
      }
      if (res >= 0) {
        this.acceptHandle = res;
        if (this.bytesToRead > 0 && this.owner) {
          this.phase = 'read';
          const error = this.startRead(this.owner);
          if (error !== 0) super.complete(-error, flags);
          return;
        }
      }
      super.complete(res < 0 ? res : 0, flags);
      return;
    }
    if (res > 0) this.messageBlock.wrPtr(res);
    if (res < 0 && this.owner) {
      // The connection came but its first read failed: nobody will own it.
      closeConnection(this.owner.proactor(), this.acceptHandle);
      this.acceptHandle = INVALID_HANDLE;
    }
    super.complete(res, flags);
  }

  /**
   * Starts the read of the first bytes; returns 0, or the errno it could
   * not start with (ECANCELED when the proactor is closing), having closed
   * the connection: it completes as a failed accept.
   */
  private startRead(owner: AsynchOperation): number {
    try {
      owner.restart(this);
      return 0;
    } catch (e) {
      closeConnection(owner.proactor(), this.acceptHandle);
      this.acceptHandle = INVALID_HANDLE;
      if (ProactorError.is(e, 'closed')) return Errno.ECANCELED;
      return ProactorError.is(e) && e.errno !== undefined ? e.errno : Errno.EINVAL;
    }
  }

  protected dispatch(): void {
    this.handler()?.handleAccept(this);
  }
}
