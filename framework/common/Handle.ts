/**
 * An I/O handle, as a number. On Linux a file descriptor. On Windows a
 * SOCKET for sockets (64-bit Windows keeps kernel handles to 32 significant
 * bits, sign-extended, so the number carries all of it; the addon checks
 * the round trip) and a C runtime file descriptor (what fs.openSync
 * returns) for files.
 */
export type Handle = number;

/** ACE_INVALID_HANDLE. */
export const INVALID_HANDLE: Handle = -1;
