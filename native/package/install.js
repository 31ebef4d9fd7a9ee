#!/usr/bin/env node
'use strict';
// npm install: use the prebuilt addon when one fits this platform and loads;
// otherwise build from source with node-gyp. Says what to install when
// neither works.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');
const { nodeGypRebuildArgs, prebuildPath } = require('./prebuilds');

const root = path.resolve(__dirname, '..', '..');
const prebuild = prebuildPath(root);

function loads(file) {
  try {
    require(file);
    return true;
  } catch (error) {
    console.warn(`ace-proactor: the prebuilt addon ${file} does not load here (${error.message}); building from source`);
    return false;
  }
}

if (process.env.ACE_PROACTOR_BUILD_FROM_SOURCE !== '1' && existsSync(prebuild) && loads(prebuild)) process.exit(0);

const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
const build = spawnSync(process.execPath, [nodeGyp, ...nodeGypRebuildArgs()], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error(
    `ace-proactor: no prebuilt addon fits ${process.platform}-${process.arch}, and building it from source failed.\n` +
      'Building needs python3, make and a C++17 compiler (Debian/Ubuntu: apt-get install python3 make g++).',
  );
  process.exit(build.status ?? 1);
}
