/** An I/O handle: a file descriptor. */
export type Handle = number;

/** ACE_INVALID_HANDLE. */
export const INVALID_HANDLE: Handle = -1;
