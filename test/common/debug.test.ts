import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { noChildNode, skipNote } from '../support/platform';

const DEBUG = join(__dirname, '..', '..', 'dist', 'framework', 'common', 'debug.js');

(noChildNode ? it.skip : it)(`NODE_DEBUG=proactor lines should name the worker thread they come from${skipNote(noChildNode)}`, () => {
  const script = `
    const { Worker } = require('node:worker_threads');
    const load = ${JSON.stringify(`require(${JSON.stringify(DEBUG)})`)};
    new Worker(load + ".debug('from the worker %d', 7)", { eval: true }).on('exit', () => eval(load).debug('from main'));
  `;
  const run = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, NODE_DEBUG: 'proactor' }, encoding: 'utf8', timeout: 20_000 });
  expect(run.status).toBe(0);
  const lines = run.stderr.trim().split('\n');
  expect(lines).toEqual([expect.stringMatching(/^PROACTOR \d+: thread [1-9]\d*: from the worker 7$/), expect.stringMatching(/^PROACTOR \d+: from main$/)]);
});
