/**
 * Why a case that needs Linux itself (seccomp, strace, /proc, a pty,
 * io_uring's own modes) cannot run on this platform, or undefined on Linux.
 * Such a case is skipped with this in its name.
 */
export const onlyOnLinux: string | undefined =
  process.platform === 'linux' ? undefined : `Linux only, this is ${process.platform}`;

/**
 * Why a case that runs node (or the example's programs) as a child process,
 * reading its piped output and stopping it with POSIX signals, cannot run
 * here, or undefined where it can. Windows has no POSIX signals, and under
 * Wine a child node.exe fails when its output is a pipe; test/win32/run.sh
 * drives the example server under Wine from a Linux client instead.
 */
export const noChildNode: string | undefined =
  process.platform === 'win32' ? 'win32: no POSIX signals, and under Wine node.exe cannot write to a pipe' : undefined;

/** ' (skipped: why)' for a case's name when why is set, else ''. */
export function skipNote(why: string | undefined): string {
  return why === undefined ? '' : ` (skipped: ${why})`;
}


/**
 * Why a ProactorPool whose threads share one port through SO_REUSEPORT
 * (accept: 'reuseport') cannot run here, or undefined where it can: Windows
 * has no SO_REUSEPORT (its pools hand connections over instead).
 */
export const noReusePort: string | undefined =
  process.platform === 'win32' ? 'win32 has no SO_REUSEPORT for the threads to share a port' : undefined;

/**
 * Why a case that needs a second descriptor for the same socket (dup)
 * cannot run here, or undefined where it can: Winsock has no dup() for
 * sockets.
 */
export const noSocketDup: string | undefined =
  process.platform === 'win32' ? 'win32: Winsock has no dup() for sockets' : undefined;

/**
 * Why JAWS cannot serve files here, or undefined where it can: its
 * DocumentRoot takes a file to be inside the root when its real path
 * starts with the root and '/', and on win32 real paths are separated by
 * '\', so every file is refused (403).
 */
export const jawsPosixPaths: string | undefined =
  process.platform === 'win32' ? "win32: JAWS's DocumentRoot tests containment with a '/' separator and refuses every file (403)" : undefined;
