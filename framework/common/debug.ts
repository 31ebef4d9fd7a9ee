import { debuglog } from 'node:util';
import { isMainThread, threadId } from 'node:worker_threads';

const log = debuglog('proactor');

/**
 * Lines shown with NODE_DEBUG=proactor: which backend, why, what was
 * degraded. On a worker thread (a ProactorPool's) each line names the
 * thread, which the process id alone does not.
 */
export const debug: (format: string, ...args: unknown[]) => void = isMainThread ? log : (format, ...args) => log(`thread ${threadId}: ${format}`, ...args);
