import { debuglog } from 'node:util';
import { debug as proactorDebug } from '../common/debug';

const reactorSection = debuglog('reactor');

/** Lines shown with NODE_DEBUG=reactor (or proactor): which demultiplexer, why. */
export function debug(line: string): void {
  if (reactorSection.enabled) reactorSection(line);
  else proactorDebug(line);
}
