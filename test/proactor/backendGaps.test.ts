import { Proactor } from '../../framework/proactor/Proactor';
import { BACKEND_GAPS, backends } from '../support/backends';

/** The skip table in test/support/backends.ts says only what is true. */
describe.each(backends)('the verbs the %s backend is said to lack', (backend) => {
  const gaps = Object.keys(BACKEND_GAPS[backend] ?? {});
  (gaps.length === 0 ? it.skip : it)(`should really be missing${gaps.length === 0 ? ` (skipped: ${backend} is said to lack none)` : `: ${gaps.join(', ')}`}`, async () => {
    const proactor = new Proactor({ backend });
    try {
      for (const verb of gaps) expect([verb, proactor.implementation().supports(verb)]).toEqual([verb, false]);
    } finally {
      await proactor.close();
    }
  });
});
