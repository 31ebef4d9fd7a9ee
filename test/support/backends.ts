import { ProactorFactory } from '../../framework/proactor/ProactorFactory';

/**
 * The backends this machine can set up, for describe.each. Computed once per
 * test file.
 */
export const backends: string[] = ProactorFactory.availableBackends();

if (backends.length === 0) {
  throw new Error(`no proactor backend can be set up on this machine (compiled: ${ProactorFactory.candidates().join(', ')})`);
}
