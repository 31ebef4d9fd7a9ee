/** An I/O handle: a file descriptor on POSIX, a SOCKET/HANDLE value on Windows. */
export type Handle = number;

/** ACE_INVALID_HANDLE. */
export const INVALID_HANDLE: Handle = -1;
