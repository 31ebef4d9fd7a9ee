import { type Handle } from '../../framework/common/Handle';
import { InetAddr } from '../../framework/common/InetAddr';
import { SockDgram } from '../../framework/common/SockDgram';
import { AsynchReadDgram } from '../../framework/proactor/AsynchReadDgram';
import { AsynchWriteDgram } from '../../framework/proactor/AsynchWriteDgram';
import { Handler } from '../../framework/proactor/Handler';
import { type Proactor } from '../../framework/proactor/Proactor';
import { type AsynchReadDgramResult } from '../../framework/proactor/results/AsynchReadDgramResult';
import { type AsynchWriteDgramResult } from '../../framework/proactor/results/AsynchWriteDgramResult';

/**
 * A handler that keeps every datagram result, in completion order. A
 * handler-form result is reused by its operation's next initiation, so
 * read each before starting the next on the same operation.
 */
export class DgramRecorder extends Handler {
  readonly reads: AsynchReadDgramResult[] = [];
  readonly writes: AsynchWriteDgramResult[] = [];
  override handleReadDgram(r: AsynchReadDgramResult) {
    this.reads.push(r);
  }
  override handleWriteDgram(r: AsynchWriteDgramResult) {
    this.writes.push(r);
  }
}

/** A bound UDP socket with a receive and a send operation on proactor. */
export interface UdpEnd {
  socket: SockDgram;
  handle: Handle;
  addr: InetAddr;
  rd: AsynchReadDgram;
  wd: AsynchWriteDgram;
  handler: DgramRecorder;
}

/** Opens a UDP socket on host (an ephemeral port); the caller closes it (closeUdp). */
export function openUdp(proactor: Proactor, host = '127.0.0.1', handler = new DgramRecorder(proactor)): UdpEnd {
  const socket = new SockDgram();
  socket.open(new InetAddr(0, host));
  const rd = new AsynchReadDgram();
  const wd = new AsynchWriteDgram();
  rd.open(handler, socket.handle(), undefined, proactor);
  wd.open(handler, socket.handle(), undefined, proactor);
  return { socket, handle: socket.handle(), addr: socket.getLocalAddr(), rd, wd, handler };
}

/** Closes through the proactor: what is in flight on it completes with ECANCELED first. */
export function closeUdp(proactor: Proactor, end: UdpEnd): Promise<void> {
  return proactor.closeHandle(end.socket.release());
}

/** Whether this machine can bind a UDP socket to ::1. */
export function hasIPv6Loopback(): boolean {
  const s = new SockDgram();
  try {
    s.open(new InetAddr(0, '::1'));
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}
