import { debuglog } from 'node:util';

/** Lines shown with NODE_DEBUG=proactor: which backend, why, what was degraded. */
export const debug = debuglog('proactor');
