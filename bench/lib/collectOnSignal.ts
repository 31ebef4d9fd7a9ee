/**
 * Preloaded into a server the benchmarks measure (`node --require
 * dist/bench/lib/collectOnSignal.js server.js`): SIGUSR2 makes it collect its
 * garbage and trim malloc (the framework's releaseMemory()), so that its RSS
 * can be read without the garbage and heap growth of the moment. Used on the
 * example server and on the Node `net` peer alike. Prints nothing.
 */
import { releaseMemory } from '../../framework/common/MemoryRelease';

process.on('SIGUSR2', () => {
  releaseMemory();
});
