import { closeSync, constants, fstatSync, openSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { contentType } from './contentType';
import { type TargetPath } from './RequestTarget';

/** A regular file under the root, open for the response; the caller closes fd. */
export interface OpenFile {
  ok: true;
  fd: number;
  size: number;
  /** Last modification, in whole seconds since the epoch (HTTP dates have no finer grain). */
  mtimeSec: number;
  contentType: string;
}

/** Why there is no file to send. */
export interface NoFile {
  ok: false;
  status: 403 | 404;
  reason: string;
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * The directory JAWS serves, and the one way to open a file in it. A path
 * is resolved (symbolic links followed) before anything is opened, and
 * refused unless it lands under the root; the file is then opened without
 * following a link, and what was opened is checked again through
 * /proc/self/fd, so a link swapped in meanwhile is caught and closed. A
 * directory is served by its index.html, else 403; only regular files are
 * opened for reading (O_NONBLOCK, so a FIFO cannot stall the server).
 */
export class DocumentRoot {
  /** The root with its own links resolved. */
  readonly path: string;

  constructor(root: string) {
    this.path = realpathSync.native(root);
    if (!statSync(this.path).isDirectory()) throw new Error(`the document root ${root} is not a directory`);
  }

  /** Opens the file target names. */
  open(target: Extract<TargetPath, { ok: true }>): OpenFile | NoFile {
    const first = this.openInside(join(this.path, ...target.segments));
    if (!first.ok) return first;
    if (first.isDir) {
      closeSync(first.fd);
      const index = this.openInside(join(first.real, 'index.html'));
      if (!index.ok) return index.status === 404 ? { ok: false, status: 403, reason: 'a directory without index.html' } : index;
      if (index.isDir) {
        closeSync(index.fd);
        return { ok: false, status: 403, reason: 'index.html is not a file' };
      }
      return this.file(index.fd, index.real);
    }
    if (target.dir) {
      closeSync(first.fd);
      return { ok: false, status: 404, reason: 'a file named as a directory' };
    }
    return this.file(first.fd, first.real);
  }

  private file(fd: number, real: string): OpenFile | NoFile {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      return { ok: false, status: 403, reason: 'not a regular file' };
    }
    return { ok: true, fd, size: st.size, mtimeSec: Math.floor(st.mtimeMs / 1000), contentType: contentType(real) };
  }

  private inside(real: string): boolean {
    return real === this.path || real.startsWith(this.path + '/');
  }

  private openInside(candidate: string): { ok: true; fd: number; real: string; isDir: boolean } | NoFile {
    let real: string;
    try {
      real = realpathSync.native(candidate);
    } catch (e) {
      return refusal(e);
    }
    if (!this.inside(real)) return { ok: false, status: 403, reason: 'a path that leads outside the root' };
    let fd: number;
    try {
      fd = openSync(real, OPEN_FLAGS);
    } catch (e) {
      return refusal(e);
    }
    let opened: string;
    let isDir: boolean;
    try {
      opened = readlinkSync(`/proc/self/fd/${fd}`);
      isDir = fstatSync(fd).isDirectory();
    } catch (e) {
      closeSync(fd);
      return refusal(e);
    }
    if (!this.inside(opened)) {
      closeSync(fd);
      return { ok: false, status: 403, reason: 'a path that leads outside the root' };
    }
    return { ok: true, fd, real, isDir };
  }
}

/** ENOENT and ENOTDIR: 404; anything else (EACCES, ELOOP, …): 403. */
function refusal(e: unknown): NoFile {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return { ok: false, status: 404, reason: 'no such file' };
  return { ok: false, status: 403, reason: `cannot be opened (${code})` };
}
