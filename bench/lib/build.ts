import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Paths } from './servers';

/** Compiles the load generator and the C io_uring echo server into bench/out/ ($CC, default cc). */
export function buildC(paths: Paths): void {
  fs.mkdirSync(paths.out, { recursive: true });
  const cc = process.env.CC ?? 'cc';
  for (const name of ['loadgen', 'c_uring_echo']) {
    execFileSync(cc, ['-O2', '-Wall', '-o', path.join(paths.out, name), path.join(paths.root, 'bench', `${name}.c`), '-lm'], { stdio: 'inherit' });
  }
}
