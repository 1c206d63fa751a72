// `engine oci ...` is engine-oci itself: the same version line, the same errors and exit codes.

import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runToEnd } from '../support/process.js';
import { REPO_ROOT } from '../../src/paths.js';

const engine = path.join(REPO_ROOT, 'engine');
const engineOci = path.join(REPO_ROOT, 'engine-oci');

test('engine oci --version and engine-oci --version say the same', async (t) => {
  const [a, b] = await Promise.all([runToEnd(engine, ['oci', '--version']), runToEnd(engineOci, ['--version'])]);
  t.is(a.code, 0, a.stderr);
  t.regex(a.stdout, /^engine-oci version \d+\.\d+\.\d+\nspec: 1\.\d+\.\d+\n$/);
  t.is(a.stdout, b.stdout);
});

test('engine oci passes global flags and the verb through: an unknown container is engine-oci\'s error, exit 1', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-oci-alias-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const r = await runToEnd(engine, ['oci', '--root', root, 'state', 'nosuch']);
  t.is(r.code, 1);
  t.is(r.stderr, 'engine-oci: container "nosuch" does not exist\n');
});
