#!/usr/bin/env node
'use strict';
// npm pack: put this platform's addon where the loader and the install step
// look for a prebuild, so that installing the tarball here needs no compiler.
// build/Release is taken when it is newer than every native source; else the
// addon is built in a scratch copy, so a build/ in use is left alone.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { nodeGypRebuildArgs, prebuildPath } = require('./prebuilds');

const root = path.resolve(__dirname, '..', '..');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(file));
    else if (/\.(cc|h)$/.test(entry.name)) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  }
  return newest;
}

function freshBuild() {
  const built = path.join(root, 'build', 'Release', 'ace_proactor.node');
  const sources = Math.max(newestSource(path.join(root, 'native')), fs.statSync(path.join(root, 'binding.gyp')).mtimeMs);
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs > sources) return built;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ace-proactor-prebuild-'));
  fs.cpSync(path.join(root, 'native'), path.join(scratch, 'native'), { recursive: true });
  fs.copyFileSync(path.join(root, 'binding.gyp'), path.join(scratch, 'binding.gyp'));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'));
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
  const build = spawnSync(process.execPath, [nodeGyp, ...nodeGypRebuildArgs()], { cwd: scratch, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  return path.join(scratch, 'build', 'Release', 'ace_proactor.node');
}

const target = prebuildPath(root);
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.copyFileSync(freshBuild(), target);
console.log(`ace-proactor: prebuilt ${path.relative(root, target)}`);
