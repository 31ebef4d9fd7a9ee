/**
 * Why a case that needs Linux itself (seccomp, strace, /proc, a pty,
 * io_uring's own modes) cannot run on this platform, or undefined on Linux.
 * Such a case is skipped with this in its name.
 */
export const onlyOnLinux: string | undefined =
  process.platform === 'linux' ? undefined : `Linux only, this is ${process.platform}`;
