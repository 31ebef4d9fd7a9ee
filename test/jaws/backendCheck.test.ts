import { InetAddr } from '../../framework/common/InetAddr';
import { ProactorError } from '../../framework/common/ProactorError';
import { Proactor } from '../../framework/proactor/Proactor';
import { JawsServer } from '../../applications/jaws/JawsServer';
import { backends } from '../support/backends';
import { openFds } from '../support/leaks';

describe('JAWS on a backend that cannot transmit a file', () => {
  it('should refuse to open, saying why, instead of failing every request', async () => {
    const proactor = new Proactor({ backend: backends[0] });
    const impl = proactor.implementation();
    const supports = impl.supports.bind(impl);
    impl.supports = (verb: string) => verb !== 'sendfile' && supports(verb);
    const before = openFds();
    try {
      const jaws = new JawsServer({ root: __dirname });
      let error: unknown;
      try {
        jaws.open(new InetAddr(0, '127.0.0.1'), proactor);
      } catch (e) {
        error = e;
      }
      expect(ProactorError.is(error, 'unsupported')).toBe(true);
      expect((error as Error).message).toMatch(/AsynchTransmitFile.*--backend/);
      expect(openFds()).toBe(before); // no listening socket left behind
    } finally {
      await proactor.close();
    }
  });
});
