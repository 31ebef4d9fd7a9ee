'use strict';
// Where a prebuilt addon lives, in the layout prebuildify writes and
// node-gyp-build reads: prebuilds/<platform>-<arch>/node.napi[.<libc>].node.
// Shared by the install step, the prepack step and the loader.
const path = require('node:path');

/** 'glibc' or 'musl' on Linux; undefined elsewhere. */
function libc() {
  if (process.platform !== 'linux') return undefined;
  const header = process.report && process.report.getReport().header;
  return header && header.glibcVersionRuntime ? 'glibc' : 'musl';
}

/** The prebuilt addon's file name for this process's platform. */
function prebuildName() {
  const tag = libc();
  return tag ? `node.napi.${tag}.node` : 'node.napi.node';
}

/** The prebuilt addon's path under root for this process's platform and arch. */
function prebuildPath(root) {
  return path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, prebuildName());
}

/**
 * node-gyp's arguments for a rebuild: the headers of the running Node when
 * it ships them (a distribution's Node does, under <prefix>/include/node),
 * so that building needs no download.
 */
function nodeGypRebuildArgs() {
  const fs = require('node:fs');
  const prefix = path.resolve(process.execPath, '..', '..');
  const nodedir = process.env.npm_config_nodedir || (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
  return nodedir ? ['rebuild', `--nodedir=${nodedir}`] : ['rebuild'];
}

module.exports = { libc, prebuildName, prebuildPath, nodeGypRebuildArgs };
