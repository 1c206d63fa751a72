// Rootfs boundaries on a real supervisor (issue 14, items 1 and 2; test/unit/rootfs-boundaries
// covers every rule without root): a rootfs that contains or lies inside the base template or a
// live container's rootfs is refused with a line naming the conflict, and a refused start (those,
// the state directory, an empty directory) leaves the directory exactly as it was.

import anyTest, { type TestFn } from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { Supervisor } from '../support/harness.js';
import { e2eSkipReason, when } from '../support/skip.js';

const test = anyTest as TestFn<{ sup: Supervisor; base: string }>;
const e2e = when(test, e2eSkipReason);

test.before(async (t) => {
  if (e2eSkipReason) return;
  // The supervisor's base template, inside a directory that itself has the mount points of a
  // rootfs: only the boundary can refuse it.
  const sup = await Supervisor.start();
  const templates = path.join(sup.dir, 'templates');
  fs.mkdirSync(templates);
  for (const d of ['proc', 'dev', 'sys', 'bin']) fs.mkdirSync(path.join(templates, d));
  const base = path.join(templates, 'base');
  fs.renameSync(await sup.linkedRootfs('base-copy'), base);
  await sup.stop({ keepDir: true });
  await sup.launch({ args: [base] });
  t.context.sup = sup;
  t.context.base = base;
});
test.after.always(async (t) => {
  await t.context.sup?.stop();
});

/** Every name under dir, recursively: what must not change. */
function tree(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

e2e('the parent of the base template and a directory inside it are refused, and nothing is written into it', async (t) => {
  const { sup, base } = t.context;
  const before = tree(path.dirname(base));
  const parent = await sup.engine('run', 'rb-parent', path.dirname(base), '/bin/true');
  t.is(parent.code, 125);
  t.regex(parent.stderr, /^engine: rootfs .*\/templates contains the supervisor's base template \(.*\/templates\/base\): its container could change it\n$/);
  const inside = await sup.engine('run', 'rb-inside', path.join(base, 'bin'), '/bin/true');
  t.is(inside.code, 125);
  t.regex(inside.stderr, /is inside the supervisor's base template/);
  t.deepEqual(tree(path.dirname(base)), before, 'the template and its parent are as they were');
  t.is((await sup.engine('inspect', 'rb-parent')).code, 125, 'no record was made');
});

e2e("the parent of a live container's rootfs and a directory inside it are refused; free again once it has ended", async (t) => {
  const { sup } = t.context;
  const holder = path.join(sup.dir, 'holder');
  fs.mkdirSync(holder);
  for (const d of ['proc', 'dev', 'sys']) fs.mkdirSync(path.join(holder, d));
  const live = await sup.linkedRootfs('holder/live');
  t.is((await sup.engine('start', 'rb-live', live, 'sleep', '1000')).code, 0);
  const parent = await sup.engine('start', 'rb-live-parent', holder, '/bin/true');
  t.is(parent.code, 125);
  t.regex(parent.stderr, /^engine: rootfs .*\/holder contains the rootfs of live container 'rb-live' \(.*\/holder\/live\): its container could change it\n$/);
  const inside = await sup.engine('start', 'rb-live-inside', path.join(live, 'bin'), '/bin/true');
  t.regex(inside.stderr, /is inside the rootfs of live container 'rb-live'/);
  t.deepEqual(fs.readdirSync(holder).sort(), ['dev', 'live', 'proc', 'sys']);
  await sup.remove('rb-live');
  t.like(await sup.engine('run', 'rb-after', holder, '/bin/true'), { code: 127 }, 'the parent is a rootfs again (one without /bin/true)');
});

e2e('the state directory and an empty directory: refused before anything is made', async (t) => {
  const { sup } = t.context;
  const empty = path.join(sup.dir, 'empty');
  fs.mkdirSync(empty);
  const state = tree(sup.stateDir).filter((f) => !f.startsWith('logs/') && !f.startsWith('containers/'));
  const r1 = await sup.engine('run', 'rb-state', sup.stateDir, '/bin/true');
  t.is(r1.code, 125);
  t.regex(r1.stderr, /^engine: rootfs .* is the supervisor's state directory/);
  const r2 = await sup.engine('run', 'rb-empty', empty, '/bin/true');
  t.is(r2.code, 125);
  t.regex(r2.stderr, /^engine: rootfs .*\/empty does not look like a root filesystem: no \/proc, \/dev, \/sys/);
  t.deepEqual(fs.readdirSync(empty), [], 'nothing was made in it');
  t.deepEqual(tree(sup.stateDir).filter((f) => !f.startsWith('logs/') && !f.startsWith('containers/')), state);
  t.false(fs.existsSync(path.join(sup.stateDir, 'proc')));
});
