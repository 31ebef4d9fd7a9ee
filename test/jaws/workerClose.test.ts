import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { jawsPosixPaths, skipNote } from '../support/platform';
import { makeRoot } from './support';

// JAWS's pool threads open files beneath the root through the addon, not
// node:fs; closing them through node:fs on a worker thread drew Node's
// "File descriptor N closed but not opened in unmanaged mode" warning for
// every file a thread served. The file cache's open/close cycle, run on a
// worker thread (dist/, as the pool runs it), must warn of nothing.
(jawsPosixPaths ? describe.skip : describe)(`JAWS files on a worker thread${skipNote(jawsPosixPaths)}`, () => {
  let root: string;
  beforeAll(() => {
    root = makeRoot({ 'a.txt': 'aaaa' });
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('should open and close them without a warning', async () => {
    const dist = join(__dirname, '..', '..', 'dist', 'applications', 'jaws');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const warnings = [];
      process.on('warning', (w) => warnings.push(w.message));
      const { DocumentRoot } = require(workerData.dist + '/DocumentRoot.js');
      const { OpenFileCache } = require(workerData.dist + '/OpenFileCache.js');
      const { decodeTarget } = require(workerData.dist + '/RequestTarget.js');
      const root = new DocumentRoot(workerData.root);
      root.prepare();
      const cache = new OpenFileCache(root, 0);
      let served = 0;
      for (let i = 0; i < 5; i++) {
        const lease = cache.acquire(decodeTarget('/a.txt'), 0);
        if (lease.ok) { served++; cache.release(lease); }
      }
      root.close();
      setTimeout(() => parentPort.postMessage({ served, warnings }), 100);
    `;
    const worker = new Worker(code, { eval: true, workerData: { dist, root } });
    const result = await new Promise<{ served: number; warnings: string[] }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(result.served).toBe(5);
    expect(result.warnings).toEqual([]);
  });
});
