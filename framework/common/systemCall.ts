import { ProactorError } from './ProactorError';

/** Returns a system call's non-negative result, or throws a 'system' ProactorError for -errno. */
export function systemCall(rc: number, what: string): number {
  if (rc < 0) throw ProactorError.fromErrno(rc, what);
  return rc;
}
