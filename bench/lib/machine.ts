import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

/** What the numbers were measured on. */
export interface Machine {
  cpu: string;
  cores: number;
  kernel: string;
  node: string;
  commit: string;
}

function git(root: string, args: string[]): string {
  try {
    return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** The commit measured, from git or from a COMMIT file left by an export of the tree. */
function commitOf(root: string): string {
  const head = git(root, ['rev-parse', '--short=10', 'HEAD']);
  if (head) {
    const dirty = git(root, ['status', '--porcelain', '--untracked-files=no', '--', 'framework', 'native']) !== '';
    return dirty ? `${head} + uncommitted changes` : head;
  }
  try {
    return fs.readFileSync(`${root}/COMMIT`, 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

export function describeMachine(root: string): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    commit: commitOf(root),
  };
}
