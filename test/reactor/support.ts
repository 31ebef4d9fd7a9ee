import { type Handle } from '../../framework/common/Handle';
import { loadNative } from '../../framework/native/loadNative';
import { EventHandler } from '../../framework/reactor/EventHandler';
import { type Reactor } from '../../framework/reactor/Reactor';
import { ReactorFactory } from '../../framework/reactor/ReactorFactory';
import { type ReactorMaskBits } from '../../framework/reactor/ReactorMask';

/** The demultiplexers this machine can set up, for describe.each. */
export const reactorBackends: string[] = ReactorFactory.availableBackends();

if (reactorBackends.length === 0) throw new Error(`no reactor backend can be set up (compiled: ${ReactorFactory.candidates().join(', ')})`);

export const sock = loadNative().socket;

/** A connected pair of non-blocking stream sockets. */
export function socketPair(): [Handle, Handle] {
  const pair = sock.pair();
  if (typeof pair === 'number') throw new Error(`socketpair failed: ${pair}`);
  return pair;
}

/** One upcall as the reactor made it. */
export type Call = [hook: string, handle: Handle, extra?: unknown];

/**
 * Records every upcall; each hook returns what `replies` says (default 0),
 * and handleInput drains what is readable unless told not to.
 */
export class Recorder extends EventHandler {
  readonly calls: Call[] = [];
  replies: Partial<Record<'input' | 'output' | 'exception' | 'timeout', () => number>> = {};
  drain = true;

  constructor(private readonly handle: Handle = -1) {
    super();
  }

  override getHandle(): Handle {
    return this.handle;
  }

  override handleInput(handle: Handle): number {
    this.calls.push(['input', handle]);
    if (this.drain) while (sock.recvNow(handle, Buffer.alloc(4096), 0, 4096) > 0);
    return this.replies.input?.() ?? 0;
  }

  override handleOutput(handle: Handle): number {
    this.calls.push(['output', handle]);
    return this.replies.output?.() ?? 0;
  }

  override handleException(handle: Handle): number {
    this.calls.push(['exception', handle]);
    return this.replies.exception?.() ?? 0;
  }

  override handleTimeout(_now: number, act: unknown): number {
    this.calls.push(['timeout', -1, act]);
    return this.replies.timeout?.() ?? 0;
  }

  override handleClose(handle: Handle, mask: ReactorMaskBits): number {
    this.calls.push(['close', handle, mask]);
    return 0;
  }

  hooks(): string[] {
    return this.calls.map((c) => c[0]);
  }
}

/**
 * Call-through dispatch that lets Node's own loop run in between (for
 * peers made with node:net), until done() or the limit.
 */
export async function pump(reactor: Reactor, done: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    reactor.handleEvents(5);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Resolves when done() holds, checking from Node's loop (post-reactive tests). */
export async function until(done: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
