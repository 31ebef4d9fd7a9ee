import { MessageBlock } from '../common/MessageBlock';
import { ProactorError } from '../common/ProactorError';
import { loadNative } from '../native/loadNative';
import { AsynchOperation } from './AsynchOperation';
import { AsynchReadDgramResult } from './results/AsynchReadDgramResult';

/** What recvAsync takes besides the chain. */
export interface RecvDgramOptions {
  /** recvmsg flags (MSG_PEEK, …); default 0. */
  flags?: number;
  /** AF_INET, AF_INET6 or 0 (default); see recv(). */
  protocolFamily?: number;
  /** The Asynchronous Completion Token, handed back on the result. */
  act?: unknown;
  /** Aborting it cancels the receive. */
  signal?: AbortSignal;
}

/** Most iovecs one system call takes (Linux's IOV_MAX). */
export const MAX_DGRAM_BLOCKS = 1024;

/**
 * ACE_Asynch_Read_Dgram — POSA2 Asynchronous Operation: receives one
 * datagram from a (bound, usually unconnected) datagram socket, scattered
 * over the free space of a message block chain, and reports who sent it.
 * Unlike ACE's POSIX backends, the sender's address comes back in every
 * result (`remoteAddress`).
 *
 * @example
 * const socket = new SockDgram();
 * socket.open(new InetAddr(0, '127.0.0.1'));
 * const rd = new AsynchReadDgram();
 * rd.open(handler, socket.handle());
 * rd.recv(new MessageBlock(2048));   // → handler.handleReadDgram(result): result.remoteAddress, result.truncated
 */
export class AsynchReadDgram extends AsynchOperation {
  /**
   * Receives one datagram into the free space of the chain mb → mb.cont → …
   * (bytesToRead is that space). ACE's number_of_bytes_recvd arrives as the
   * result's bytesTransferred. A datagram longer than the space is cut
   * (result.truncated). protocolFamily (AF_INET, AF_INET6 or 0) is checked
   * and kept on the result: ACE sizes its address buffer with it, where
   * here the buffer fits a sender of either family.
   */
  recv(mb: MessageBlock, flags = 0, protocolFamily = 0, act?: unknown, priority = 0, signalNumber = 0): void {
    const handler = this.openHandler();
    this.checkDgram('recv', mb, flags, protocolFamily);
    const spare = this.takeSpare(AsynchReadDgramResult);
    this.start(
      spare
        ? spare.reuse(handler, this.handle_, mb, mb.totalSpace(), flags, protocolFamily, act, this.completionKey_, priority, signalNumber)
        : new AsynchReadDgramResult(handler, this.handle_, mb, mb.totalSpace(), flags, protocolFamily, act, this.completionKey_, priority, signalNumber, this),
    );
  }

  /**
   * The Promise form of recv(): resolves with the result (success or not)
   * instead of calling the handler; aborting the signal cancels the receive
   * (the Promise then rejects with an AbortError whose cause is the result).
   *
   * @example
   * const r = await rd.recvAsync(new MessageBlock(2048), { signal: AbortSignal.timeout(1000) });
   * console.log(r.remoteAddress?.toString(), r.messageBlock.data());
   */
  recvAsync(mb: MessageBlock, options: RecvDgramOptions = {}): Promise<AsynchReadDgramResult> {
    const handler = this.openHandler();
    const { flags = 0, protocolFamily = 0 } = options;
    this.checkDgram('recvAsync', mb, flags, protocolFamily);
    const result = new AsynchReadDgramResult(handler, this.handle_, mb, mb.totalSpace(), flags, protocolFamily, options.act, this.completionKey_, 0, 0, this);
    return this.startAsync(result, options.signal);
  }

  private checkDgram(what: string, mb: MessageBlock, flags: number, protocolFamily: number): void {
    const name = `${this.constructor.name}.${what}`;
    if (!this.proactor().implementation().supports('recvmsg')) {
      throw new ProactorError('unsupported', `${name}: the ${this.proactor().implementation().name} backend cannot receive a datagram`);
    }
    if (!(mb instanceof MessageBlock)) throw new ProactorError('invalid-argument', `${name}: a MessageBlock is required`);
    checkFlags(name, flags);
    const c = loadNative().socket.constants;
    if (protocolFamily !== 0 && protocolFamily !== c.AF_INET && protocolFamily !== c.AF_INET6) {
      throw new ProactorError('invalid-argument', `${name}: protocol family ${protocolFamily} is not AF_INET (${c.AF_INET}) or AF_INET6 (${c.AF_INET6})`);
    }
    if (mb.totalSpace() === 0) throw new ProactorError('invalid-argument', `${name}: the chain has no free space`);
    checkBlocks(name, mb, (b) => b.space());
  }
}

/** Throws unless flags is a whole number in 0..2^31-1. */
export function checkFlags(name: string, flags: number): void {
  if (!Number.isInteger(flags) || flags < 0 || flags > 0x7fffffff) {
    throw new ProactorError('invalid-argument', `${name}: flags must be a whole number of MSG_ bits, got ${flags}`);
  }
}

/** Throws when the chain has more non-empty blocks than one system call takes. */
export function checkBlocks(name: string, head: MessageBlock, size: (mb: MessageBlock) => number): void {
  let n = 0;
  for (let mb: MessageBlock | null = head; mb; mb = mb.cont) if (size(mb) > 0) n++;
  if (n > MAX_DGRAM_BLOCKS) throw new ProactorError('invalid-argument', `${name}: ${n} blocks in the chain, at most ${MAX_DGRAM_BLOCKS}`);
}
