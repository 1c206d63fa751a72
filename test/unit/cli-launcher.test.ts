// The ./engine launcher: no shell, a client verb from its bundle, node's own --env-file kept out.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src/paths.js';

const LAUNCHER = path.join(REPO_ROOT, 'engine');
const built = fs.existsSync(path.join(REPO_ROOT, 'dist/src/cli/main.js'));
const CLIENT_VERBS = fs
  .readdirSync(path.join(REPO_ROOT, 'src/cli/verbs'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((v) => v !== 'supervisor');
const run = (...args: string[]) => spawnSync(LAUNCHER, args, { encoding: 'utf8', env: { ...process.env, ENGINE_SOCKET: '/nonexistent/engine.sock' } });

test('./engine is a node script, not a shell wrapper', (t) => {
  t.true(fs.readFileSync(LAUNCHER, 'utf8').startsWith('#!/usr/bin/env -S node --\n'));
});

(built ? test : test.skip)(`every client verb runs from its one-file bundle${built ? '' : ' (skipped: needs make)'}`, (t) => {
  // A verb left out of the bundling falls back to the ES modules silently, 40-60 ms slower: this
  // is the only place that notices.
  t.deepEqual(CLIENT_VERBS.filter((v) => !fs.existsSync(path.join(REPO_ROOT, `dist/cli/${v}.cjs`))), [], 'verbs without a bundle');
  t.true(fs.statSync(path.join(REPO_ROOT, 'dist/cli/ps.cjs')).mtimeMs >= fs.statSync(path.join(REPO_ROOT, 'dist/src/cli/main.js')).mtimeMs, 'make bundles after tsc');
  const r = run('ps');
  t.is(r.status, 125);
  t.regex(r.stderr, /^engine: cannot reach the supervisor at \/nonexistent\/engine.sock/);
  t.false(fs.existsSync(path.join(REPO_ROOT, 'dist/cli/supervisor.cjs')), 'the long-running supervisor is not bundled');
});

test("--env-file is engine's, even for a file that does not exist (node 20 would take it)", (t) => {
  const r = run('run', 'x', '--env-file', '/no/such.env', '/tmp', '/bin/true');
  t.is(r.status, 125);
  t.is(r.stderr, 'engine: --env-file /no/such.env: no such file\n');
});
