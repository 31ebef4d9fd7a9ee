import { loadNative } from '../native/loadNative';
import { type Handle, handleCloses } from './Handle';
import { HandOffRing } from './HandOffRing';
import { InetAddr } from './InetAddr';
import { Errno } from './errno';

/** What a worker thread is given to receive connections handed over to it. */
export interface HandOffInboxData {
  /** The address the pool listens on, which the thread's service opens. */
  host: string;
  port: number;
  /** The thread's end of a connected socket pair: one byte arrives per connection put in the ring. */
  doorbell: Handle;
  /** The ring's shared memory (HandOffRing). */
  ring: SharedArrayBuffer;
}

/**
 * The receiving end of a pool's hand-off, in one worker thread: where a
 * pool hands connections over instead of letting every thread listen on a
 * shared port (Windows has no SO_REUSEPORT), the thread's service still
 * opens a listening socket on the pool's address with reusePort, as it
 * would on Linux. SockAcceptor.open gives it this inbox's doorbell socket
 * instead, and an accept on it — AsynchAccept's (a one-byte read on the
 * doorbell, then the ring) or the Reactor's (NonBlockingAccept) — takes the
 * next connection handed over. So a thread module runs unchanged however
 * connections reach its thread.
 *
 * @example
 * const inbox = HandOffInbox.claim(address, true);   // in SockAcceptor.open, on a pool thread
 * inbox?.doorbell;                                     // the "listening" handle
 */
export class HandOffInbox {
  /** This thread's inbox (module state is per thread). */
  private static installed: HandOffInbox | undefined;

  readonly doorbell: Handle;
  readonly address: InetAddr;
  private readonly ring: HandOffRing;
  private claimed = false;
  private closed = false;
  /** The doorbell's closes through the framework when it was claimed; one more means it is closing. */
  private closesAtClaim = 0;
  private readonly bell = Buffer.alloc(1);

  private constructor(data: HandOffInboxData) {
    this.doorbell = data.doorbell;
    this.address = new InetAddr(data.port, data.host);
    this.ring = HandOffRing.attach(data.ring);
  }

  /** Makes data this thread's inbox (a pool's worker, before its service opens). */
  static install(data: HandOffInboxData): HandOffInbox {
    HandOffInbox.installed = new HandOffInbox(data);
    return HandOffInbox.installed;
  }

  /**
   * The inbox, if this thread has one not yet claimed and address with
   * reusePort asks for the pool's port; the caller now owns its doorbell.
   */
  static claim(address: InetAddr, reusePort: boolean): HandOffInbox | undefined {
    const inbox = HandOffInbox.installed;
    if (!inbox || inbox.claimed || !reusePort || address.port !== inbox.address.port || address.host !== inbox.address.host) return undefined;
    inbox.claimed = true;
    inbox.closesAtClaim = handleCloses(inbox.doorbell);
    return inbox;
  }

  /** The claimed, open inbox whose doorbell is handle, if any: an accept on handle takes from it. */
  static of(handle: Handle): HandOffInbox | undefined {
    const inbox = HandOffInbox.installed;
    if (!inbox || !inbox.claimed || inbox.closed || inbox.doorbell !== handle) return undefined;
    return handleCloses(handle) === inbox.closesAtClaim ? inbox : undefined;
  }

  /**
   * Ends this thread's inbox: an unclaimed doorbell is closed here (a
   * claimed one is its acceptor's to close). Connections still in the ring
   * are the pool's to close once the thread has ended.
   */
  static uninstall(): void {
    const inbox = HandOffInbox.installed;
    HandOffInbox.installed = undefined;
    if (inbox && !inbox.claimed) loadNative().socket.close(inbox.doorbell);
  }

  /** Whether a listening socket of this thread's service took it (SockAcceptor.open). */
  isClaimed(): boolean {
    return this.claimed;
  }

  /** The claimant closed the doorbell itself (SockAcceptor.close). */
  close(): void {
    this.closed = true;
  }

  /** The next connection handed over, now the caller's, once a doorbell byte has been read for it; -EIO if the ring has none. */
  take(): Handle {
    return this.ring.take() ?? -Errno.EIO;
  }

  /**
   * For a reactive accept: reads one doorbell byte without waiting and
   * takes its connection; -EAGAIN when none is waiting, -errno on failure.
   */
  takeNow(): Handle {
    const rc = loadNative().socket.recvNow(this.doorbell, this.bell, 0, 1);
    if (rc < 0) return rc;
    // End of stream: the pool closed its end (it does once this thread has ended).
    if (rc === 0) return -Errno.EPIPE;
    return this.take();
  }
}
