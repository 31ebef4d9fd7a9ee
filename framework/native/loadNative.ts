import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ProactorError } from '../common/ProactorError';
import { type NativeBinding } from './NativeBinding';

let binding: NativeBinding | undefined;
let loadedFrom: string | undefined;

/** The package root: the nearest folder above this file whose package.json is ours. */
function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'ace-proactor') return dir;
    const parent = dirname(dir);
    if (parent === dir) return __dirname;
    dir = parent;
  }
}

/**
 * The prebuilt addon's path for this platform, in prebuildify's layout
 * (the one native/package/prebuilds.js writes):
 * prebuilds/<platform>-<arch>/node.napi[.glibc|.musl].node.
 */
function prebuildPath(root: string): string {
  const header = process.platform === 'linux' ? (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header : undefined;
  const libc = header ? (header.glibcVersionRuntime ? '.glibc' : '.musl') : '';
  return join(root, 'prebuilds', `${process.platform}-${process.arch}`, `node.napi${libc}.node`);
}

/**
 * Loads the addon once: build/Release, then build/Debug, then
 * build/<platform>-<arch> (a cross build: test/win32/build.sh), then the
 * prebuild for this platform (prebuilds/<platform>-<arch>/node.napi[.glibc].node).
 * Fails with one message naming every place tried and what to do.
 */
export function loadNative(): NativeBinding {
  if (binding) return binding;
  const root = packageRoot();
  const candidates = [
    join(root, 'build', 'Release', 'ace_proactor.node'),
    join(root, 'build', 'Debug', 'ace_proactor.node'),
    join(root, 'build', `${process.platform}-${process.arch}`, 'ace_proactor.node'),
    prebuildPath(root),
  ];
  const tried: string[] = [];
  for (const file of candidates) {
    if (!existsSync(file)) {
      tried.push(`${file} (missing)`);
      continue;
    }
    try {
      binding = require(file) as NativeBinding;
      loadedFrom = file;
      return binding;
    } catch (e) {
      tried.push(`${file} (${(e as Error).message})`);
    }
  }
  throw new ProactorError(
    'native-load',
    `the ace-proactor addon could not be loaded; tried:\n  ${tried.join('\n  ')}\n` +
      'No prebuilt addon fits this platform: build it with `npm rebuild ace-proactor` (or `npx node-gyp rebuild` in the package), ' +
      'which needs python3, make and a C++17 compiler (Debian/Ubuntu: apt-get install python3 make g++).',
  );
}

/** The file the addon was loaded from (for worker threads that load it themselves). */
export function nativeAddonPath(): string {
  loadNative();
  return loadedFrom!;
}
