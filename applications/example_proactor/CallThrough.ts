import { type Proactor } from '../../framework/proactor/Proactor';
import { type Reactor } from '../../framework/reactor/Reactor';

/** The longest the proactor waits before the reactor and Node get a turn. */
export const CALL_THROUGH_SLICE_MS = 10;

/**
 * Call-through dispatch of a Reactor and a Proactor on one thread: two
 * dispatchers cannot both block it, so the reactor is looked at without
 * waiting, the proactor waits a short slice, then Node's loop gets a turn
 * (signals, timers) before the next round. Ends once
 * proactor.proactorEndEventLoop() has been asked.
 */
export async function runCallThrough(reactor: Reactor, proactor: Proactor): Promise<void> {
  while (!proactor.proactorEventLoopDone()) {
    reactor.handleEvents(0);
    proactor.handleEvents(CALL_THROUGH_SLICE_MS);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
