import { ProactorError } from '../common/ProactorError';
import { AsynchAcceptor } from './AsynchAcceptor';
import { type PoolThreadContext, type PoolThreadCounts, type PoolThreadService } from './ProactorPool';
import { type ServiceHandler } from './ServiceHandler';

/** Which ServiceHandler class a thread serves (ProactorPool's PoolServiceOptions, filled in). */
export interface ServiceThreadOptions {
  serviceModule: string;
  serviceExport: string;
  serviceArgs: unknown[];
}

/**
 * The thread module behind ProactorPool's ServiceHandler form: an
 * AsynchAcceptor on the shared port makes one service handler per
 * connection, on the thread's call-through Proactor. Stopping closes the
 * acceptor; connections still open are cancelled when the worker closes
 * the Proactor.
 */
export function openServiceThread(context: PoolThreadContext<ServiceThreadOptions>): PoolThreadService {
  const { serviceModule, serviceExport, serviceArgs } = context.options;
  const Service = (require(serviceModule) as Record<string, unknown>)[serviceExport];
  if (typeof Service !== 'function') {
    throw new ProactorError('invalid-argument', `${serviceModule} has no class export '${serviceExport}' (serviceExport names it; 'default' unless given)`);
  }
  const makeService = Service as new (...args: unknown[]) => ServiceHandler;
  let accepted = 0;
  const acceptor = new AsynchAcceptor<ServiceHandler>();
  acceptor.open(context.address, {
    proactor: context.proactor,
    reusePort: true,
    backlog: context.backlog,
    makeHandler: () => {
      accepted++;
      return new makeService(...serviceArgs);
    },
  });
  return {
    port: acceptor.getLocalAddr().port,
    stop: async (): Promise<PoolThreadCounts> => {
      await acceptor.close();
      return { accepted };
    },
  };
}
