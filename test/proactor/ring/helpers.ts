import { loadNative } from '../../../framework/native/loadNative';
import { Proactor } from '../../../framework/proactor/Proactor';
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
