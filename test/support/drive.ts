import { type Proactor } from '../../framework/proactor/Proactor';

/**
 * Call-through: dispatches until done() or the time limit; throws on the
 * limit so a hung test says what it was waiting for.
 */
export function dispatchUntil(proactor: Proactor, done: () => boolean, what: string, limitMs = 10000): void {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    proactor.handleEvents(50);
  }
}
