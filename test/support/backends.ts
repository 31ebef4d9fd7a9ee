import { ProactorFactory } from '../../framework/proactor/ProactorFactory';

/**
 * The backends this machine can set up, for describe.each. Computed once per
 * test file.
 */
export const backends: string[] = ProactorFactory.availableBackends();

if (backends.length === 0) {
  throw new Error(`no proactor backend can be set up on this machine (compiled: ${ProactorFactory.candidates().join(', ')})`);
}

/**
 * Verbs a backend does not have, with the reason: a case that needs one
 * skips on that backend with the reason in its name. test/proactor/
 * backendGaps.test.ts checks that each entry is still true, so an entry
 * goes when the backend gains the verb.
 */
export const BACKEND_GAPS: Record<string, Partial<Record<'recvmsg' | 'sendmsg' | 'sendfile', string>>> = {};

/** Why backend cannot run a case that needs verb, or undefined when it can. */
export function gap(backend: string, verb: 'recvmsg' | 'sendmsg' | 'sendfile'): string | undefined {
  return BACKEND_GAPS[backend]?.[verb];
}
