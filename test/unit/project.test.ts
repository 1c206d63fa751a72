// Facts about the project itself that a user relies on.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../src/paths.js';

test('the engine launcher works through a symlink, as npm link installs it', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-link-'));
  const link = path.join(dir, 'engine');
  fs.symlinkSync(path.join(REPO_ROOT, 'engine'), link);
  const out = execFileSync(link, ['--help'], { encoding: 'utf8' });
  t.regex(out, /^Usage: engine VERB/);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  t.is(pkg.bin.engine, 'engine');
  fs.rmSync(dir, { recursive: true });
});
