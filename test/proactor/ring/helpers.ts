import { type MessageBlock } from '../../../framework/common/MessageBlock';
import { loadNative } from '../../../framework/native/loadNative';
import { AsynchReadStream } from '../../../framework/proactor/AsynchReadStream';
import { type BufferRing } from '../../../framework/proactor/BufferRing';
import { Handler } from '../../../framework/proactor/Handler';
import { Proactor } from '../../../framework/proactor/Proactor';
import { type AsynchReadMultishotResult } from '../../../framework/proactor/results/AsynchReadMultishotResult';
import { type AsynchReadStreamResult } from '../../../framework/proactor/results/AsynchReadStreamResult';
import { backends } from '../../support/backends';

export const sock = loadNative().socket;

/** The backends here, each with whether it has buffer rings (a case skips, saying so, where it has none). */
export const ringBackends: [string, boolean][] = backends.map((b) => {
  const p = new Proactor({ backend: b });
  const yes = p.implementation().supports('recvMultishot');
  void p.close();
  return [b, yes];
});

/** `it`, or `it.skip` with the reason in its name where the backend has no buffer rings. */
export function ringIt(backend: string, rings: boolean): (name: string, fn: () => Promise<void>, timeout?: number) => void {
  return rings ? it : (name, fn, timeout) => it.skip(`${name} (${backend} has no buffer rings)`, fn, timeout);
}

/** Dispatches (call-through) until done(), letting timers and setImmediate run between waits. */
export async function pump(proactor: Proactor, done: () => boolean, what: () => string, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what()}`);
    proactor.handleEvents(10);
    await new Promise((r) => setImmediate(r));
  }
}

/** Logs what each read brought (or its error); keeps the buffer of the last when told to. */
export class Reader extends Handler {
  readonly log: string[] = [];
  keep = false;
  kept: MessageBlock | undefined;
  override handleReadStream(r: AsynchReadStreamResult) {
    this.log.push(r.success ? r.messageBlock.data().toString() : r.errorCode);
    if (this.keep && r.bytesTransferred > 0) this.kept = (r as AsynchReadMultishotResult).keepBuffer();
  }
}

/**
 * A read parked for a buffer of ring (one buffer): a holder on e (its peer
 * f sends `held`) keeps the only buffer, then a reader on a (its peer b
 * sends `payload`) reads from the ring and waits.
 */
export async function parkRead(
  proactor: Proactor,
  ring: BufferRing,
  [e, f]: [number, number],
  [a, b]: [number, number],
  held: string,
  payload: string,
): Promise<{ holder: Reader; reader: Reader; rs: AsynchReadStream }> {
  const holder = new Reader(proactor);
  holder.keep = true;
  const hs = new AsynchReadStream();
  hs.open(holder, e, undefined, proactor);
  sock.sendNow(f, Buffer.from(held), 0, held.length);
  hs.readFromRing(ring);
  await pump(proactor, () => holder.kept !== undefined, () => 'the holder keeping the only buffer');
  const reader = new Reader(proactor);
  const rs = new AsynchReadStream();
  rs.open(reader, a, undefined, proactor);
  sock.sendNow(b, Buffer.from(payload), 0, payload.length);
  rs.readFromRing(ring);
  await pump(proactor, () => ring.waiting() === 1, () => `the read to wait for a buffer (log ${JSON.stringify(reader.log)})`);
  return { holder, reader, rs };
}
