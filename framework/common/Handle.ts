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

const closes = new Map<Handle, number>();

/**
 * @internal Notes that handle is being closed through the framework
 * (closeHandle, SockStream.close, SockDgram.close). An operation that goes
 * on in phases (a transmit-file: header, file chunks, trailer) compares the
 * count before each next phase, so that it stops rather than send on
 * whatever socket takes the number next.
 */
export function noteHandleClosing(handle: Handle): void {
  if (handle === INVALID_HANDLE) return;
  closes.set(handle, (closes.get(handle) ?? 0) + 1);
  for (const ref of watchers) {
    const watcher = ref.deref();
    if (watcher === undefined) watchers.delete(ref);
    else watcher.handleClosing(handle);
  }
}

/** @internal Told of every handle closed through the framework (a proactor whose reads wait in user space for a buffer). */
export interface HandleCloseWatcher {
  /** Must not throw: the close goes on after it. */
  handleClosing(handle: Handle): void;
}

/** Held weakly: a proactor dropped without close() is still collected. */
const watchers = new Set<WeakRef<HandleCloseWatcher>>();

/** @internal Tells watcher of each handle closed from now on; the returned function stops it. */
export function watchHandleCloses(watcher: HandleCloseWatcher): () => void {
  const ref = new WeakRef(watcher);
  watchers.add(ref);
  return () => watchers.delete(ref);
}

/** @internal How many times handle was closed through the framework. */
export function handleCloses(handle: Handle): number {
  return closes.get(handle) ?? 0;
}
