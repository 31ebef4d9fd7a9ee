import { closeSync, constants, fstatSync, openSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errnoName } from '../../framework/common/errno';
import { loadNative } from '../../framework/native/loadNative';
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

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/**
 * The directory JAWS serves, and the one way to open a file in it. A path
 * is resolved (symbolic links followed) before anything is opened, and
 * refused unless it lands under the root: links that stay inside are
 * served, links that lead out are 403. What it resolved to is then opened
 * relative to the root's directory (opened by prepare() or the first
 * open(), and held until close()), through no link at all
 * (openBeneath: openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS on
 * Linux), so a link swapped in between the resolution and the open makes
 * the open fail (403) and nothing outside the root is ever opened. Where
 * the addon has no openBeneath (win32), the resolved path is opened
 * without following a last link, and what was opened is checked again
 * through /proc/self/fd, which catches a swapped link only after the open.
 * A directory is served by its index.html, else 403; only regular files
 * are opened for reading (O_NONBLOCK, so a FIFO cannot stall the server).
 */
export class DocumentRoot {
  /** The root with its own links resolved. */
  readonly path: string;
  /** The root's directory, which files are opened beneath (-1: not yet opened, closed, or no openBeneath). */
  private dirFd = -1;
  private closed = false;
  private readonly beneath = loadNative().file;

  constructor(root: string) {
    try {
      this.path = realpathSync.native(root);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? `the document root ${root} does not exist` : `the document root ${root}: ${(e as Error).message}`);
    }
    if (!statSync(this.path).isDirectory()) throw new Error(`the document root ${root} is not a directory`);
  }

  /**
   * Opens the root's directory now, where files are opened beneath it (else
   * the first open() does); after close(), opens it again and lets open()
   * serve again (a server opened anew after a failed open or a shutdown).
   */
  prepare(): void {
    this.openDirectory();
    this.closed = false;
  }

  private openDirectory(): void {
    if (this.beneath && this.dirFd < 0) this.dirFd = openSync(this.path, constants.O_RDONLY | constants.O_DIRECTORY);
  }

  /** Closes the root's directory; open() refuses everything until the next prepare(). */
  close(): void {
    if (this.dirFd >= 0) closeSync(this.dirFd);
    this.dirFd = -1;
    this.closed = true;
  }

  /**
   * Closes an fd open() gave. One opened beneath the root came from the
   * addon, not from node:fs, so it is closed the same way: closed through
   * node:fs on a worker thread it draws a warning (an fd node:fs never
   * opened there).
   */
  closeFile(fd: number): void {
    if (this.beneath) loadNative().socket.close(fd);
    else closeSync(fd);
  }

  /** Opens the file target names. */
  open(target: Extract<TargetPath, { ok: true }>): OpenFile | NoFile {
    if (this.closed) return { ok: false, status: 403, reason: 'the document root is closed' };
    const first = this.openInside(join(this.path, ...target.segments));
    if (!first.ok) return first;
    if (first.isDir) {
      this.closeFile(first.fd);
      const index = this.openInside(join(first.real, 'index.html'));
      if (!index.ok) return index.status === 404 ? { ok: false, status: 403, reason: 'a directory without index.html' } : index;
      if (index.isDir) {
        this.closeFile(index.fd);
        return { ok: false, status: 403, reason: 'index.html is not a file' };
      }
      return this.file(index.fd, index.real);
    }
    if (target.dir) {
      this.closeFile(first.fd);
      return { ok: false, status: 404, reason: 'a file named as a directory' };
    }
    return this.file(first.fd, first.real);
  }

  private file(fd: number, real: string): OpenFile | NoFile {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      this.closeFile(fd);
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
      return refusal((e as NodeJS.ErrnoException).code);
    }
    if (!this.inside(real)) return { ok: false, status: 403, reason: 'a path that leads outside the root' };
    const fd = this.beneath ? this.openBeneath(real) : this.openChecked(real);
    if (typeof fd !== 'number') return fd;
    let isDir: boolean;
    try {
      isDir = fstatSync(fd).isDirectory();
    } catch (e) {
      this.closeFile(fd);
      return refusal((e as NodeJS.ErrnoException).code);
    }
    return { ok: true, fd, real, isDir };
  }

  /** real, opened beneath the root's directory through no link. */
  private openBeneath(real: string): number | NoFile {
    const relative = real === this.path ? '.' : real.slice(this.path.length).replace(/^\/+/, '');
    try {
      this.openDirectory();
    } catch (e) {
      return refusal((e as NodeJS.ErrnoException).code);
    }
    const fd = this.beneath!.openBeneath(this.dirFd, relative, OPEN_FLAGS);
    return fd < 0 ? refusal(errnoName(-fd)) : fd;
  }

  /** real, opened without following a last link, then checked through /proc/self/fd. */
  private openChecked(real: string): number | NoFile {
    let fd: number;
    try {
      fd = openSync(real, OPEN_FLAGS | constants.O_NOFOLLOW);
    } catch (e) {
      return refusal((e as NodeJS.ErrnoException).code);
    }
    let opened: string;
    try {
      opened = readlinkSync(`/proc/self/fd/${fd}`);
    } catch (e) {
      closeSync(fd);
      return refusal((e as NodeJS.ErrnoException).code);
    }
    if (!this.inside(opened)) {
      closeSync(fd);
      return { ok: false, status: 403, reason: 'a path that leads outside the root' };
    }
    return fd;
  }
}

/** ENOENT, ENOTDIR and ENAMETOOLONG: 404; anything else (EACCES, ELOOP, EXDEV, …): 403. */
function refusal(code: string | undefined): NoFile {
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return { ok: false, status: 404, reason: 'no such file' };
  return { ok: false, status: 403, reason: `cannot be opened (${code})` };
}
