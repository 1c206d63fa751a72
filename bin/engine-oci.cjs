#!/usr/bin/env -S node --
// engine-oci: the OCI runtime (runc's command line; docs/oci.md). ./engine-oci is a symlink to
// this file, which Node runs from its real path as CommonJS. containerd and podman start a new
// engine-oci for every create, start, state, kill and delete, so its start-up is paid many times
// per container: it runs its one-file bundle (dist/oci/engine-oci.cjs, made by
// scripts/bundle-cli.mjs right after tsc) rather than resolving and loading the ES modules, unless
// the bundle is older than the tsc output (a `tsc` without the bundling step must not leave stale
// code in use).
'use strict';
const { statSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const main = path.join(root, 'dist/src/oci/main.js');
const bundle = path.join(root, 'dist/oci/engine-oci.cjs');
const mtime = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs;
if ((mtime(bundle) ?? -1) >= (mtime(main) ?? Infinity)) require(bundle);
else import(require('node:url').pathToFileURL(main).href);
