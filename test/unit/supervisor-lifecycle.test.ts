// The supervisor's lifecycle through the recording runtime (test/support/fake-runtime.ts): states
// and their attribution, stop and kill races, run waiting for the drain, rm, id reuse, rootfs in
// use and shutdown order. No root, no processes: every event is driven by the test.

import anyTest, { type TestFn } from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { EngineError } from '../../src/errors.js';
import type { ContainerState } from '../../src/protocol/messages.js';
import type { ValidStart } from '../../src/protocol/schema.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { resolveRootfs } from '../../src/supervisor/rootfs-check.js';
import { FakeRuntime, makeFakeRootfs } from '../support/fake-runtime.js';
import { FakeLogs } from '../support/fake-logs.js';
import { FakeMemory } from '../support/fake-memory.js';

interface Ctx {
  dir: string;
  sup: Supervisor;
  rt: FakeRuntime;
  logs: FakeLogs;
  mem: FakeMemory;
  rootfs(name?: string): string;
  start(id: string, over?: Partial<ValidStart>): Promise<ReturnType<Supervisor['get']>>;
}
const test = anyTest as TestFn<Ctx>;
const GRACE_MS = 40;

test.beforeEach((t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-lifecycle-'));
  const base = path.join(dir, 'base');
  makeFakeRootfs(base);
  const rt = new FakeRuntime();
  const logs = new FakeLogs();
  const mem = new FakeMemory();
  const sup = new Supervisor({
    stateDir: dir,
    graceMs: GRACE_MS,
    baseRootfs: resolveRootfs(base),
    logger: pino({ level: 'silent' }),
    logs,
    memory: mem,
    runtime: rt,
  });
  fs.mkdirSync(sup.logsDir);
  let n = 0;
  const rootfs = (name = `r${n++}`) => {
    return makeFakeRootfs(path.join(dir, name));
  };
  const start = (id: string, over: Partial<ValidStart> = {}) =>
    sup.start({ verb: 'start', id, rootfs: rootfs(), command: ['/bin/true'], softMib: 40, hardMib: 64, nice: 0, logMode: 'blocking', ...over } as ValidStart);
  t.context = { dir, sup, rt, logs, mem, rootfs, start };
});

test.afterEach.always((t) => fs.rmSync(t.context.dir, { recursive: true, force: true }));


test('start: the spec reaches the runtime, memory is attached before go, the write end is closed, running', async (t) => {
  const { rt, mem, start } = t.context;
  const c = await start('a', { nice: 5, cpus: '0', command: ['echo one two'] });
  const p = rt.of('a');
  t.is(c.record.state, 'running');
  t.is(c.record.pid, p.pid);
  t.deepEqual(p.spec.spec.process?.args, ['/bin/sh', '-c', 'echo one two'], 'one word with blanks runs through sh -c');
  t.deepEqual(p.spec.spec.process?.capabilities?.bounding?.length, 14, "Docker's 14 capabilities by default");
  t.true(p.released, 'init was let go on once memory enforcement was attached');
  t.is(p.spec.nice, 5);
  t.deepEqual(p.spec.cpus, [0]);
  t.true(p.goCalled);
  t.true(mem.attached.has('a'));
  t.is(mem.attached.get('a')!.limits.hardBytes, 64 * 1024 * 1024);
  t.true(rt.closedFds.includes(p.spec.outFd), "the supervisor's copy of the write end is closed");
  t.deepEqual(rt.autogroup, [{ pid: p.pid, nice: 5 }]);
});

test('exits: code -> exited; SIGKILL from elsewhere -> killed 137; a crash -> exited 139', async (t) => {
  const { rt, start } = t.context;
  const cases: Array<[string, (p: ReturnType<FakeRuntime['of']>) => void, ContainerState, number, string | null]> = [
    ['zero', (p) => p.exit(0), 'exited', 0, null],
    ['thirty-seven', (p) => p.exit(37), 'exited', 37, null],
    ['kill9', (p) => p.kill('SIGKILL'), 'killed', 137, 'SIGKILL'],
    ['segv', (p) => p.kill('SIGSEGV'), 'exited', 139, 'SIGSEGV'],
  ];
  for (const [id, end, state, code, signal] of cases) {
    const c = await start(id);
    end(rt.of(id));
    await c.done;
    t.is(c.record.state, state, id);
    t.is(c.record.exitCode, code, id);
    t.is(c.record.signal, signal, id);
    t.truthy(c.record.finishedAt, id);
  }
});

test('stop: SIGTERM, then SIGKILL only after the grace; stopped 137; answers are served meanwhile', async (t) => {
  const { sup, rt, start } = t.context;
  await start('s');
  const began = Date.now();
  const stopping = sup.stop('s');
  t.deepEqual(rt.of('s').signals, ['SIGTERM']);
  t.is(sup.list().find((r) => r.id === 's')?.state, 'running', 'ps answers during the grace');
  const { container } = await stopping;
  t.true(Date.now() - began >= GRACE_MS - 1);
  t.deepEqual(rt.of('s').signals, ['SIGTERM', 'SIGKILL']);
  t.is(container.record.state, 'stopped');
  t.is(container.record.exitCode, 137);
});

test('stop of a command that handles SIGTERM: stopped 143, no SIGKILL; a second stop says it is not running', async (t) => {
  const { sup, rt, start } = t.context;
  rt.script = { ...rt.script, onTerm: 'exit' };
  await start('t');
  const { container } = await sup.stop('t');
  t.is(container.record.state, 'stopped');
  t.is(container.record.exitCode, 143);
  t.deepEqual(rt.of('t').signals, ['SIGTERM']);
  const again = await sup.stop('t');
  t.regex(again.note ?? '', /not running \(stopped\)/);
});

test('a stop while starting aborts it: the command never runs, state stopped', async (t) => {
  const { sup, rt, start } = t.context;
  rt.script = { ...rt.script, ready: 'manual' };
  const starting = start('early');
  await rt.spawnOf('early');
  t.is(sup.get('early').record.state, 'starting');
  const stopped = sup.stop('early');
  rt.of('early').becomeReady();
  await starting;
  const { container } = await stopped;
  t.true(rt.of('early').aborted);
  t.false(rt.of('early').goCalled);
  t.is(container.record.state, 'stopped');
});

test('a step before exec fails: failed with step and errno; 125, or 127/126 for exec', async (t) => {
  const { rt, start } = t.context;
  rt.script = { ...rt.script, ready: 'manual' };
  const c1 = start('mnt');
  (await rt.spawnOf('mnt')).failSetup('mount-proc', 'ENOTDIR');
  const rec1 = (await c1).record;
  await (await c1).done;
  t.is(rec1.state, 'failed');
  t.is(rec1.exitCode, 125);
  t.is(rec1.reason, 'mount-proc: ENOTDIR');
  for (const [errno, code] of [['ENOENT', 127], ['EACCES', 126]] as const) {
    rt.script = { ready: 'auto', exec: errno, onTerm: 'ignore' };
    const c = await start(`exec-${errno}`);
    await c.done;
    t.is(c.record.state, 'failed', errno);
    t.is(c.record.exitCode, code, errno);
    t.is(c.record.reason, `exec: ${errno}`);
  }
});

test('spawn itself fails (clone refused): failed 125 with the reason, both pipe ends closed, rootfs freed', async (t) => {
  const { rt, start, sup } = t.context;
  rt.spawnError = Object.assign(new Error('clone: EPERM (Operation not permitted)'), { code: 'EPERM' });
  const c = await start('noclone', { rootfs: t.context.rootfs('shared') });
  t.is(c.record.state, 'failed');
  t.is(c.record.exitCode, 125);
  t.regex(c.record.reason!, /clone: EPERM/);
  t.is(rt.closedFds.length, 2);
  rt.spawnError = null;
  const again = await sup.start({ verb: 'start', id: 'next', rootfs: path.join(t.context.dir, 'shared'), command: ['/bin/true'], softMib: 40, hardMib: 64, nice: 0, logMode: 'blocking' });
  t.is(again.record.state, 'running', 'the rootfs of a failed start is free');
});

test('memory: a soft event is recorded; the enforcer\'s own hard event makes hard_limit_killed, even after a stop request', async (t) => {
  const { sup, rt, mem, start } = t.context;
  const c = await start('hog');
  mem.soft('hog');
  mem.hardKill('hog');
  rt.of('hog').kill('SIGKILL');
  await c.done;
  t.is(c.record.state, 'hard_limit_killed');
  t.is(c.record.exitCode, 137);
  t.deepEqual(c.record.memoryEvents.map((e) => e.kind), ['soft', 'hard']);
  t.true(mem.attached.get('hog')!.released);

  const d = await start('hog2');
  const stopping = sup.stop('hog2');
  mem.hardKill('hog2');
  rt.of('hog2').kill('SIGKILL');
  t.is((await stopping).container.record.state, 'hard_limit_killed', "the enforcer's event wins over the stop");
  t.is(d.record.exitCode, 137);
});

test('the final state waits for the log to drain (run and stop answer only then)', async (t) => {
  const { logs, rt, start } = t.context;
  logs.autoDrain = false;
  const c = await start('slowlog');
  let settled = false;
  void c.done.then(() => (settled = true));
  rt.of('slowlog').exit(0);
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  t.false(settled, 'not recorded before the drain');
  t.is(c.record.state, 'running');
  logs.finishDrain('slowlog', 123);
  await c.done;
  t.is(c.record.state, 'exited');
  t.is(c.record.log.bytes, 123);
});

test('ids: taken while live and after exit until rm; rm refuses a live one, frees the id, forgets the log', async (t) => {
  const { sup, rt, logs, start } = t.context;
  const c = await start('x');
  const live = await t.throwsAsync(start('x'), { instanceOf: EngineError });
  t.is(live?.code, 'conflict');
  t.regex(live!.message, /already in use by a running container/);
  t.is((await t.throwsAsync(sup.rm('x'), { instanceOf: EngineError }))?.code, 'failed_precondition');
  rt.of('x').exit(0);
  await c.done;
  const ended = await t.throwsAsync(start('x'), { instanceOf: EngineError });
  t.regex(ended!.message, /engine rm x/);
  fs.writeFileSync(c.record.logPath, 'old');
  fs.writeFileSync(`${c.record.logPath}.1`, 'older');
  await sup.rm('x');
  t.deepEqual(logs.forgotten, ['x']);
  t.false(fs.existsSync(c.record.logPath), 'the log is gone when rm answers');
  t.false(fs.existsSync(`${c.record.logPath}.1`));
  t.is(t.throws(() => sup.get('x'), { instanceOf: EngineError })?.code, 'not_found');
  const reused = await start('x');
  t.is(reused.record.state, 'running');
  t.not(rt.spawned.length, 1);
});

test('rootfs: one live container at a time (also through a symlink), freed at exit; the base template is refused', async (t) => {
  const { sup, rt, dir } = t.context;
  const shared = path.join(dir, 'shared');
  makeFakeRootfs(shared);
  fs.symlinkSync(shared, path.join(dir, 'alias'));
  const req = (id: string, rootfs: string) => ({ verb: 'start', id, rootfs, command: ['/bin/true'], softMib: 40, hardMib: 64, nice: 0, logMode: 'blocking' }) as ValidStart;
  const a = await sup.start(req('a', shared));
  const busy = await t.throwsAsync(sup.start(req('b', path.join(dir, 'alias'))), { instanceOf: EngineError });
  t.regex(busy!.message, /already in use by container 'a'/);
  rt.of('a').exit(0);
  await a.done;
  t.is((await sup.start(req('b', shared))).record.state, 'running');
  const base = await t.throwsAsync(sup.start(req('c', path.join(dir, 'base'))), { instanceOf: EngineError });
  t.regex(base!.message, /base template/);
});

test('shutdown: every live container is stopped with the grace, ended ones are left alone, no start after', async (t) => {
  const { sup, rt, start } = t.context;
  const ended = await start('ended');
  rt.of('ended').exit(0);
  await ended.done;
  await start('l1');
  rt.script = { ...rt.script, onTerm: 'exit' };
  await start('l2');
  await sup.stopAll();
  t.deepEqual(rt.of('ended').signals, []);
  t.deepEqual(rt.of('l1').signals, ['SIGTERM', 'SIGKILL']);
  t.deepEqual(rt.of('l2').signals, ['SIGTERM']);
  t.deepEqual(sup.list().map((r) => r.state), ['exited', 'stopped', 'stopped']);
  const refused = await t.throwsAsync(start('late'), { instanceOf: EngineError });
  t.is(refused?.code, 'shutting_down');
});
