import { loadNative } from '../../framework/native/loadNative';
import { AsynchReadStream } from '../../framework/proactor/AsynchReadStream';
import { AsynchWriteStream } from '../../framework/proactor/AsynchWriteStream';
import { type Handler } from '../../framework/proactor/Handler';
import { type Proactor } from '../../framework/proactor/Proactor';

/** A connected AF_UNIX stream pair; the caller closes both. */
export function socketPair(): [number, number] {
  const pair = loadNative().socket.pair();
  if (typeof pair === 'number') throw new Error(`socketpair failed: ${pair}`);
  return pair;
}

/** A read and a write stream on fd, both completing to handler on proactor. */
export function streams(handler: Handler, fd: number, proactor: Proactor): { rs: AsynchReadStream; ws: AsynchWriteStream } {
  const rs = new AsynchReadStream();
  const ws = new AsynchWriteStream();
  rs.open(handler, fd, undefined, proactor);
  ws.open(handler, fd, undefined, proactor);
  return { rs, ws };
}
