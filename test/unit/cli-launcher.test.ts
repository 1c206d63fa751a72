// The ./engine launcher: no shell, a client verb from its bundle, node's own --env-file kept out.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src/paths.js';

const LAUNCHER = path.join(REPO_ROOT, 'engine');
const bundled = fs.existsSync(path.join(REPO_ROOT, 'dist/cli/ps.cjs'));
const run = (...args: string[]) => spawnSync(LAUNCHER, args, { encoding: 'utf8', env: { ...process.env, ENGINE_SOCKET: '/nonexistent/engine.sock' } });

test('./engine is a node script, not a shell wrapper', (t) => {
  t.true(fs.readFileSync(LAUNCHER, 'utf8').startsWith('#!/usr/bin/env -S node --\n'));
});

(bundled ? test : test.skip)(`a client verb runs from its one-file bundle${bundled ? '' : ' (skipped: needs make)'}`, (t) => {
  t.true(fs.statSync(path.join(REPO_ROOT, 'dist/cli/ps.cjs')).mtimeMs >= fs.statSync(path.join(REPO_ROOT, 'dist/src/cli/main.js')).mtimeMs, 'make bundles after tsc');
  const r = run('ps');
  t.is(r.status, 125);
  t.regex(r.stderr, /^engine: cannot reach the supervisor at \/nonexistent\/engine.sock/);
  t.false(fs.existsSync(path.join(REPO_ROOT, 'dist/cli/supervisor.cjs')), 'the supervisor, which needs to know where it lives, is not bundled');
});

test("--env-file is engine's, even for a file that does not exist (node 20 would take it)", (t) => {
  const r = run('run', 'x', '--env-file', '/no/such.env', '/tmp', '/bin/true');
  t.is(r.status, 125);
  t.is(r.stderr, 'engine: --env-file /no/such.env: no such file\n');
});
