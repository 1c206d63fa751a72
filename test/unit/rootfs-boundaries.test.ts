// Rootfs boundaries and the mount-point check (src/supervisor/rootfs-check.ts) through the
// supervisor with the recording runtime: what is refused, what the refusal names, and that a
// refused start touches nothing (no runtime call, no record, no file in any directory).

import anyTest, { type TestFn } from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { EngineError } from '../../src/errors.js';
import type { ValidStart } from '../../src/protocol/schema.js';
import { requiredMountPoints, resolveRootfs } from '../../src/supervisor/rootfs-check.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { DEFAULT_MOUNTS } from '../../src/spec/defaults.js';
import { FakeLogs } from '../support/fake-logs.js';
import { FakeMemory } from '../support/fake-memory.js';
import { FakeRuntime, makeFakeRootfs } from '../support/fake-runtime.js';

interface Ctx {
  dir: string;
  sup: Supervisor;
  rt: FakeRuntime;
  base: string;
  socket: string;
  start(id: string, rootfs: string, over?: Partial<ValidStart>): Promise<ReturnType<Supervisor['get']>>;
}
const test = anyTest as TestFn<Ctx>;

test.beforeEach((t) => {
  // dir/templates/base   the base template
  // dir/var/state        the state directory (logs/, containers/)
  // dir/run/engine.sock  the socket (a plain file stands in for it)
  // dir/live/...         rootfs of containers
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-boundaries-'));
  const base = makeFakeRootfs(path.join(dir, 'templates', 'base'));
  const stateDir = path.join(dir, 'var', 'state');
  const socket = path.join(dir, 'run', 'engine.sock');
  fs.mkdirSync(path.dirname(socket));
  fs.writeFileSync(socket, '');
  const rt = new FakeRuntime();
  const sup = new Supervisor({
    stateDir,
    graceMs: 40,
    baseRootfs: resolveRootfs(base),
    logger: pino({ level: 'silent' }),
    logs: new FakeLogs(),
    memory: new FakeMemory(),
    runtime: rt,
    guarded: [{ what: "the supervisor's socket", path: socket, scope: 'ancestors' }],
  });
  fs.mkdirSync(sup.logsDir, { recursive: true });
  sup.recover(); // makes containers/
  const start = (id: string, rootfs: string, over: Partial<ValidStart> = {}) =>
    sup.start({ verb: 'start', id, rootfs, command: ['/bin/true'], softMib: 40, hardMib: 64, nice: 0, logMode: 'blocking', ...over } as ValidStart);
  t.context = { dir, sup, rt, base, socket, start };
});

test.afterEach.always((t) => fs.rmSync(t.context.dir, { recursive: true, force: true }));

/** Every path under dir, with the size of each file: a refused start must change none of it. */
function tree(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out.push(e.isFile() ? `${p} ${fs.statSync(p).size}` : p);
    if (e.isDirectory() && !e.isSymbolicLink()) out.push(...tree(p));
  }
  return out.sort();
}

async function refused(t: any, id: string, rootfs: string, code: string, message: RegExp, over: Partial<ValidStart> = {}): Promise<void> {
  const { sup, rt, dir, start } = t.context as Ctx;
  const before = tree(dir);
  const spawned = rt.spawned.length;
  const err = await t.throwsAsync(start(id, rootfs, over), { instanceOf: EngineError }, rootfs);
  t.is(err?.code, code, rootfs);
  t.regex(err!.message, message, rootfs);
  t.is(err!.message.split('\n').length, 1);
  t.is(rt.spawned.length, spawned, 'the runtime was never asked');
  t.throws(() => sup.get(id), { instanceOf: EngineError }, 'no container, no record');
  t.deepEqual(tree(dir), before, 'nothing was made or changed anywhere');
}

test('the base template: itself, its parent (and grandparent), a directory inside it', async (t) => {
  const { base, dir } = t.context;
  await refused(t, 'b1', base, 'conflict', /is the supervisor's base template; give the container a copy: engine rootfs create DIR --from /);
  await refused(t, 'b2', path.dirname(base), 'conflict', /^rootfs .*\/templates contains the supervisor's base template \(.*\/templates\/base\): its container could change it$/);
  await refused(t, 'b3', path.join(base, 'proc'), 'conflict', /is inside the supervisor's base template \(.*\/templates\/base\): its container would write into it$/);
  await refused(t, 'b4', path.join(base, 'proc', '..', 'dev'), 'conflict', /inside the supervisor's base template/);
  // Through a symlink to the parent, and by .. from a sibling.
  fs.symlinkSync(path.join(dir, 'templates'), path.join(dir, 'alias'));
  await refused(t, 'b5', path.join(dir, 'alias'), 'conflict', /contains the supervisor's base template/);
  await refused(t, 'b6', path.join(base, '..'), 'conflict', /contains the supervisor's base template/);
});

test("a live container's rootfs: its parent, a directory inside it; free again once it has ended", async (t) => {
  const { dir, rt, start } = t.context;
  const live = makeFakeRootfs(path.join(dir, 'live', 'one'));
  const c = await start('holder', live);
  makeFakeRootfs(path.join(live, 'nested'));
  await refused(t, 'l1', live, 'conflict', /^rootfs already in use by container 'holder'$/);
  await refused(t, 'l2', path.dirname(live), 'conflict', /contains the rootfs of live container 'holder' \(.*\/live\/one\): its container could change it$/);
  await refused(t, 'l3', path.join(live, 'nested'), 'conflict', /is inside the rootfs of live container 'holder'/);
  rt.of('holder').exit(0);
  await c.done;
  t.is((await start('after', path.join(live, 'nested'))).record.state, 'running', 'an ended container holds nothing');
});

test('a rootfs given first is protected from one given later as its parent, and the other way round', async (t) => {
  const { dir, start } = t.context;
  const outer = makeFakeRootfs(path.join(dir, 'outer'));
  const inner = makeFakeRootfs(path.join(outer, 'inner'));
  await start('outer', outer);
  await refused(t, 'inner', inner, 'conflict', /inside the rootfs of live container 'outer'/);
});

test("the supervisor's own files: the state directory and its parents, the logs and records, the socket's directory", async (t) => {
  const { dir, sup, socket } = t.context;
  makeFakeRootfs(sup.logsDir);
  await refused(t, 's1', sup.config.stateDir, 'conflict', /is the supervisor's state directory/);
  await refused(t, 's2', path.join(dir, 'var'), 'conflict', /contains the supervisor's state directory/);
  await refused(t, 's3', sup.logsDir, 'conflict', /is the supervisor's log directory/);
  await refused(t, 's4', path.join(sup.logsDir, 'proc'), 'conflict', /inside the supervisor's log directory/);
  await refused(t, 's5', sup.records.dir, 'conflict', /is the supervisor's container records/);
  await refused(t, 's6', path.dirname(socket), 'conflict', /contains the supervisor's socket/);
});

test('a rootfs beside the supervisor files in the state directory is fine (the default state dir is the working directory)', async (t) => {
  const { sup, start } = t.context;
  const beside = makeFakeRootfs(path.join(sup.config.stateDir, 'rootfs-alpha'));
  t.is((await start('beside', beside)).record.state, 'running');
});

test('not a root filesystem: an empty directory, one without /sys, a mount point that is a file or a link; nothing is made in it', async (t) => {
  const { dir } = t.context;
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  await refused(t, 'm1', empty, 'invalid_argument', /^rootfs .*\/empty does not look like a root filesystem: no \/proc, \/dev, \/sys \(a container needs its mount points \/proc, \/dev, \/sys; engine rootfs create DIR makes one\)$/);
  const nosys = makeFakeRootfs(path.join(dir, 'nosys'));
  fs.rmdirSync(path.join(nosys, 'sys'));
  await refused(t, 'm2', nosys, 'invalid_argument', /no \/sys \(/);
  const file = makeFakeRootfs(path.join(dir, 'file'));
  fs.rmdirSync(path.join(file, 'dev'));
  fs.writeFileSync(path.join(file, 'dev'), '');
  await refused(t, 'm3', file, 'invalid_argument', /\/dev is not a directory/);
  const link = makeFakeRootfs(path.join(dir, 'link'));
  fs.rmdirSync(path.join(link, 'proc'));
  fs.symlinkSync('/proc', path.join(link, 'proc'));
  await refused(t, 'm4', link, 'invalid_argument', /\/proc is a symbolic link/);
});

test('--read-only needs /tmp as well (a tmpfs is mounted there)', async (t) => {
  const { dir, start } = t.context;
  const r = makeFakeRootfs(path.join(dir, 'ro'));
  await refused(t, 'ro', r, 'invalid_argument', /no \/tmp \(/, { readOnly: true });
  fs.mkdirSync(path.join(r, 'tmp'));
  t.is((await start('ro2', r, { readOnly: true })).record.state, 'running');
});

test('the mount points a spec needs: only those not beneath an earlier mount', (t) => {
  t.deepEqual(requiredMountPoints(DEFAULT_MOUNTS), ['/proc', '/dev', '/sys']);
  t.deepEqual(requiredMountPoints([...DEFAULT_MOUNTS, { destination: '/tmp' }, { destination: '/run/secrets/x' }, { destination: '/dev/shm' }]), ['/proc', '/dev', '/sys', '/tmp', '/run', '/run/secrets', '/run/secrets/x']);
});
