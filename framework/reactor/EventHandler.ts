import { INVALID_HANDLE, type Handle } from '../common/Handle';
import { type Reactor } from './Reactor';
import { type ReactorMaskBits } from './ReactorMask';

/**
 * ACE_Event_Handler — POSA2 Event Handler (Reactor). Subclass it and
 * override the hooks for the events you register; the Reactor calls them
 * one at a time. A hook returns 0 to stay registered, -1 to be removed for
 * that event (the Reactor then calls handleClose with its mask), and > 0 to
 * be called again before the Reactor waits. A hook that throws is reported
 * through the Reactor's errorHook and treated as -1.
 *
 * @example
 * class Reader extends EventHandler {
 *   override getHandle() { return this.fd; }
 *   override handleInput(handle: Handle) { … read until EAGAIN …; return 0; }
 * }
 * reactor.registerHandler(new Reader(fd), ReactorMask.READ_MASK);
 */
export class EventHandler {
  private reactor_: Reactor | undefined;

  constructor(reactor?: Reactor) {
    this.reactor_ = reactor;
  }

  /** The handle registered when none is given to registerHandler. */
  getHandle(): Handle {
    return INVALID_HANDLE;
  }

  /** handle is readable (READ_MASK), or has a connection waiting (ACCEPT_MASK). */
  handleInput(_handle: Handle): number {
    return -1;
  }

  /** handle is writable (WRITE_MASK), or its connect finished (CONNECT_MASK). */
  handleOutput(_handle: Handle): number {
    return -1;
  }

  /** handle has urgent data (EXCEPT_MASK). */
  handleException(_handle: Handle): number {
    return -1;
  }

  /** A timer expired; currentTime is Date.now() then. -1 cancels the timer. */
  handleTimeout(_currentTime: number, _act: unknown): number {
    return -1;
  }

  /**
   * The handler was removed for the events in closeMask (a hook returned
   * -1, removeHandler or cancelTimer was called, or the reactor closed).
   * handle is INVALID_HANDLE for timers.
   */
  handleClose(_handle: Handle, _closeMask: ReactorMaskBits): number {
    return 0;
  }

  /** The Reactor this handler was registered with. */
  reactor(): Reactor | undefined;
  reactor(reactor: Reactor | undefined): void;
  reactor(reactor?: Reactor): Reactor | undefined | void {
    if (arguments.length === 0) return this.reactor_;
    this.reactor_ = reactor;
  }
}
