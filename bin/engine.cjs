#!/usr/bin/env -S node --
// engine: the CLI launcher. ./engine is a symlink to this file, and Node runs a main module from
// its real path, so this runs as CommonJS (no ES module loader to start: ~8% of a bare Node's
// start-up) and finds the repository from its own place, through npm link's symlink too.
// No shell in between. A client verb goes straight to its one-file bundle (dist/cli/<verb>.cjs,
// made by scripts/bundle-cli.mjs right after tsc); the rest, and every verb whose bundle is older
// than the tsc output (a `tsc` without the bundling step must not leave stale code in use), to
// dist/src/cli/main.js.
// The `--` in the first line ends node's own options: node 20 would otherwise take engine's
// --env-file for its own, wherever it stands.
'use strict';
const { statSync } = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.join(__dirname, '..');
const main = path.join(root, 'dist/src/cli/main.js');
const verb = process.argv[2];
const bundle = verb && /^[a-z]+$/.test(verb) ? path.join(root, 'dist/cli', `${verb}.cjs`) : null;
const mtime = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs;
if (bundle && (mtime(bundle) ?? -1) >= (mtime(main) ?? Infinity)) require(bundle);
else import(pathToFileURL(main).href);
