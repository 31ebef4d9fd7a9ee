import { type Proactor } from '../../framework/proactor/Proactor';

/**
 * Call-through: dispatches until done() or the time limit, letting
 * microtasks (Promise continuations) run between batches. Throws on the
 * limit, saying what it waited for (and, given a function, the state it was
 * left in).
 */
export async function dispatchUntil(proactor: Proactor, done: () => boolean, what: string | (() => string), limitMs = 10000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${limitMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    }
    proactor.handleEvents(50);
    await undefined;
  }
}
