import { type Handle } from '../common/Handle';
import { type EventHandler } from './EventHandler';
import { type ReactorMaskBits } from './ReactorMask';

/** Receives what an event handler threw; dispatch goes on. */
export type ReactorErrorHook = (error: unknown, handler: EventHandler | undefined) => void;

/**
 * ACE_Reactor_Impl — the Bridge implementor behind Reactor: one subclass
 * per synchronous event demultiplexer. The Reactor's public methods forward
 * here.
 */
export abstract class ReactorImpl {
  /** The demultiplexer's name: 'epoll', 'poll'. */
  abstract readonly name: string;
  /** What was set up. */
  abstract describe(): string;

  /** Registers handler for mask's events on handle (masks of one handler add up). */
  abstract registerHandler(handle: Handle, handler: EventHandler, mask: ReactorMaskBits): void;
  /** Removes mask's events; calls handleClose unless DONT_CALL. -1 if handle is not registered. */
  abstract removeHandler(handle: Handle, mask: ReactorMaskBits): number;
  /** Stops dispatching handle's events, keeping its registration. */
  abstract suspendHandler(handle: Handle): number;
  /** Watches handle again after suspendHandler; 0, or -1 when it is not registered. */
  abstract resumeHandler(handle: Handle): number;
  /** The handler registered for handle. */
  abstract findHandler(handle: Handle): EventHandler | undefined;
  /** The handle handler is registered under. */
  abstract handleOf(handler: EventHandler): Handle | undefined;
  /** The events handle is registered for (0 when it is not). */
  abstract maskOf(handle: Handle): ReactorMaskBits;
  /** Whether handle is registered and suspended. */
  abstract isSuspended(handle: Handle): boolean;
  /** Handles registered. */
  abstract size(): number;

  /** Schedules handler.handleTimeout after delayMs, then every intervalMs if > 0. */
  abstract scheduleTimer(handler: EventHandler, act: unknown, delayMs: number, intervalMs: number): number;
  /** Cancels a timer, or all of a handler's; returns how many. */
  abstract cancelTimer(timer: number | EventHandler, dontCallHandleClose: boolean): number;
  /** Timers scheduled. */
  abstract timers(): number;

  /** Call-through dispatch: handlers and timers dispatched, 0 on timeout, -1 on error. */
  abstract handleEvents(timeoutMs: number): number;
  /** Post-reactive dispatch: let Node's loop wake us for events and timers. */
  abstract watch(on: boolean): void;

  /** Removes every handler (handleClose each), cancels every timer, releases the kernel side. */
  abstract close(): void;
  /** Whether close() was called. */
  abstract isClosed(): boolean;

  /** Where handler exceptions go. */
  errorHook: ReactorErrorHook = (error, handler) => {
    const where = handler ? ` in ${handler.constructor.name}` : '';
    const text = error instanceof Error && error.stack ? error.stack : String(error);
    process.stderr.write(`ace-proactor reactor: uncaught exception${where}: ${text}\n`);
  };
}
