/**
 * ACE_Reactor_Mask — the event kinds an EventHandler is registered for,
 * with ACE_Event_Handler's bit values. Combine them with `|`.
 *
 * @example
 * reactor.registerHandler(handler, ReactorMask.READ_MASK | ReactorMask.WRITE_MASK);
 */
export const ReactorMask = {
  /** No events. */
  NULL_MASK: 0,
  /** Data, or EOF, to read: handleInput. */
  READ_MASK: 1 << 0,
  /** Room to write: handleOutput. */
  WRITE_MASK: 1 << 1,
  /** Urgent (out-of-band) data: handleException. */
  EXCEPT_MASK: 1 << 2,
  /** A connection to accept on a listening handle: handleInput. */
  ACCEPT_MASK: 1 << 3,
  /** A non-blocking connect finished: handleOutput. */
  CONNECT_MASK: 1 << 4,
  /** Passed to handleClose for a timer's end. */
  TIMER_MASK: 1 << 5,
  /** Every event above. */
  ALL_EVENTS_MASK: (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5),
  /** READ | WRITE | EXCEPT. */
  RWE_MASK: (1 << 0) | (1 << 1) | (1 << 2),
  /** With removeHandler/cancelTimer: do not call handleClose. */
  DONT_CALL: 1 << 9,
} as const;

/** A combination of ReactorMask bits. */
export type ReactorMaskBits = number;
