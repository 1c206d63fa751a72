// Records that survive a crash (src/supervisor/records.ts and Supervisor.recover): written at every
// state change, atomically; a new supervisor over the same state directory lists the old
// containers, the ones it did not see end as killed with the reason; logs, inspect and rm work on
// them; unreadable record files are reported and skipped, never fatal.

import anyTest, { type TestFn } from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { ContainerRecord } from '../../src/protocol/messages.js';
import type { ValidStart } from '../../src/protocol/schema.js';
import { parseStoredRecord, promiseWriter, RECORD_FORMAT, RecordStore, type FileWriter } from '../../src/supervisor/records.js';
import { ENDED_WITH_SUPERVISOR, Supervisor } from '../../src/supervisor/supervisor.js';
import type { HostProcesses } from '../../src/supervisor/host-processes.js';
import { FakeLogs } from '../support/fake-logs.js';
import { FakeMemory } from '../support/fake-memory.js';
import { FakeRuntime, makeFakeRootfs } from '../support/fake-runtime.js';
import { until } from '../support/process.js';

interface Ctx {
  dir: string;
  /** a supervisor over the state directory, as after a restart */
  boot(processes?: HostProcesses): { sup: Supervisor; rt: FakeRuntime; lines: Array<Record<string, unknown>> };
  start(sup: Supervisor, id: string): Promise<ReturnType<Supervisor['get']>>;
}
const test = anyTest as TestFn<Ctx>;

/** Host processes as the recording runtime's pids: the ones listed are "still running". */
function fakeHost(running: Map<number, string>): HostProcesses & { killed: number[] } {
  const killed: number[] = [];
  return {
    killed,
    startTicks: (pid) => running.get(pid) ?? `t${pid}`,
    killIfSame(pid, ticks) {
      if (running.get(pid) !== ticks) return false;
      killed.push(pid);
      running.delete(pid);
      return true;
    },
  };
}

test.beforeEach((t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-records-'));
  let n = 0;
  const boot = (processes?: HostProcesses) => {
    const rt = new FakeRuntime();
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const sup = new Supervisor({ stateDir: dir, graceMs: 40, baseRootfs: null, logger, logs: new FakeLogs(), memory: new FakeMemory(), runtime: rt, processes });
    fs.mkdirSync(sup.logsDir, { recursive: true });
    sup.recover();
    return { sup, rt, lines };
  };
  const start = (sup: Supervisor, id: string) =>
    sup.start({ verb: 'start', id, rootfs: makeFakeRootfs(path.join(dir, `rootfs-${n++}`)), command: ['/bin/sh', '-c', 'echo hi'], softMib: 40, hardMib: 64, nice: 3, logMode: 'blocking' } as ValidStart);
  t.context = { dir, boot, start };
});

test.afterEach.always((t) => fs.rmSync(t.context.dir, { recursive: true, force: true }));

function stored(dir: string, id: string): { record: ContainerRecord; pidStartTicks: string | null } {
  return JSON.parse(fs.readFileSync(path.join(dir, 'containers', id, 'record.json'), 'utf8'));
}

test('the record file follows every state change, and no temporary file is left', async (t) => {
  const { dir, boot, start } = t.context;
  const { sup, rt } = boot(fakeHost(new Map()));
  rt.script = { ...rt.script, ready: 'manual' };
  const starting = start(sup, 'a');
  const p = await rt.spawnOf('a');
  await sup.records.written('a'); // writes leave the event loop: wait for them
  t.is(stored(dir, 'a').record.state, 'starting');
  t.is(stored(dir, 'a').record.pid, p.pid);
  t.is(stored(dir, 'a').pidStartTicks, `t${p.pid}`, "the pid's start time is kept beside it");
  t.truthy(JSON.parse(fs.readFileSync(path.join(dir, 'containers', 'a', 'spec.json'), 'utf8')).process, 'the spec, once');
  p.becomeReady();
  await starting;
  t.is(stored(dir, 'a').record.state, 'running', 'a start is answered once its record is on disk');
  (sup.config.memory as FakeMemory).soft('a');
  await sup.records.written('a');
  t.deepEqual(stored(dir, 'a').record.memoryEvents.map((e) => e.kind), ['soft']);
  p.exit(3);
  await sup.get('a').done;
  await sup.records.written('a');
  t.like(stored(dir, 'a').record, { state: 'exited', exitCode: 3 });
  t.truthy(stored(dir, 'a').record.finishedAt);
  t.deepEqual(fs.readdirSync(path.join(dir, 'containers', 'a')).sort(), ['record.json', 'spec.json']);
  await sup.rm('a');
  t.false(fs.existsSync(path.join(dir, 'containers', 'a')), 'rm removes the record');
});

test('after a crash: ended containers as they were, live ones killed with the reason; logs, inspect --spec and rm work; the id is free after rm', async (t) => {
  const { dir, boot, start } = t.context;
  const first = boot(fakeHost(new Map()));
  const done = await start(first.sup, 'done');
  first.rt.of('done').exit(0);
  await done.done;
  await start(first.sup, 'live');
  fs.writeFileSync(first.sup.get('live').record.logPath, 'hello from before the crash\n');
  await first.sup.records.written(); // what it wrote before it died (the page cache keeps it)
  // The first supervisor is gone (no stopAll: killed outright). A new one over the same directory:
  const { sup, lines } = boot(fakeHost(new Map()));
  t.deepEqual(sup.list().map((r) => [r.id, r.state]), [['done', 'exited'], ['live', 'killed']], 'oldest first');
  const live = sup.get('live');
  t.true(live.isFinished);
  t.is(live.record.reason, `${ENDED_WITH_SUPERVISOR} (its exit status is unknown)`);
  t.is(live.record.exitCode, null);
  t.truthy(live.record.finishedAt);
  t.is(live.record.nice, 3, 'the rest of the record as it was');
  t.is(sup.get('done').record.exitCode, 0);
  t.truthy(sup.get('live').spec?.process, 'inspect --spec still has the spec');
  await sup.records.written();
  t.is(stored(dir, 'live').record.state, 'killed', 'the new state is written back');
  t.true(lines.some((l) => l.level === 40 && l.id === 'live' && String(l.msg).includes(ENDED_WITH_SUPERVISOR)));
  t.is(fs.readFileSync(live.record.logPath, 'utf8'), 'hello from before the crash\n');
  // A third supervisor sees the same (the record was rewritten, not left as running).
  const third = boot(fakeHost(new Map()));
  t.is(third.sup.get('live').record.reason, live.record.reason);
  await third.sup.rm('live');
  t.false(fs.existsSync(live.record.logPath));
  t.false(fs.existsSync(path.join(dir, 'containers', 'live')));
  t.is((await start(third.sup, 'live')).record.state, 'running', 'the id can be used again');
});

test('a container still running at the restart (same pid, same start time) is killed and recorded so', async (t) => {
  const { boot, start } = t.context;
  const running = new Map<number, string>();
  const first = boot(fakeHost(running));
  const c = await start(first.sup, 'survivor');
  running.set(c.record.pid!, `t${c.record.pid}`);
  await start(first.sup, 'reused');
  running.set(first.sup.get('reused').record.pid!, 'another process now'); // the pid was reused
  await first.sup.records.written();
  const host = fakeHost(running);
  const { sup } = boot(host);
  t.deepEqual(host.killed, [c.record.pid]);
  t.like(sup.get('survivor').record, { state: 'killed', exitCode: 137, signal: 'SIGKILL' });
  t.regex(sup.get('survivor').record.reason!, /still running when the supervisor restarted and was killed/);
  t.like(sup.get('reused').record, { state: 'killed', exitCode: null });
});

test('corrupt or partial record files are reported and skipped, never fatal', async (t) => {
  const { dir, boot, start } = t.context;
  const first = boot();
  const good = await start(first.sup, 'good');
  first.rt.of('good').exit(0);
  await good.done;
  await first.sup.records.written();
  const put = (name: string, text: string | null) => {
    fs.mkdirSync(path.join(dir, 'containers', name), { recursive: true });
    if (text !== null) fs.writeFileSync(path.join(dir, 'containers', name, 'record.json'), text);
  };
  const whole = fs.readFileSync(path.join(dir, 'containers', 'good', 'record.json'), 'utf8');
  put('empty', '');
  put('partial', whole.replaceAll('good', 'partial').slice(0, 100));
  put('wrongid', whole);
  put('nofile', null);
  put('notarecord', '{"format":1,"record":{"id":"notarecord"}}');
  put('future', whole.replace('"format":1', '"format":99').replaceAll('good', 'future'));
  fs.writeFileSync(path.join(dir, 'containers', 'stray-file'), 'x');
  const { sup, lines } = boot();
  t.deepEqual(sup.list().map((r) => r.id), ['good']);
  const skipped = lines.filter((l) => l.msg === 'container record skipped: unreadable').map((l) => `${path.basename(String(l.record))}: ${l.reason}`);
  t.deepEqual(skipped.sort(), [
    'empty: empty record.json',
    'future: record.json is not a format-1 record',
    'nofile: no record.json',
    'notarecord: record.json: bad or missing state',
    'partial: record.json is not valid JSON (partly written?)',
    'stray-file: ENOTDIR',
    'wrongid: record.json: bad or missing id (it must be the directory name)',
  ]);
  t.is((await start(sup, 'empty')).record.state, 'running', 'a skipped id can be used, and its record is rewritten');
  t.is(stored(dir, 'empty').record.id, 'empty');
});

test('stop is answered once the final record is on disk; changes made during a write are merged into the next', async (t) => {
  const { dir, boot, start } = t.context;
  const { sup, rt } = boot(fakeHost(new Map()));
  await start(sup, 'b');
  const stopped = sup.stop('b');
  rt.of('b').kill('SIGTERM');
  await stopped;
  t.like(stored(dir, 'b').record, { state: 'stopped' });
  // Many changes while a write is under way: at most one more write, of the newest state.
  let made = 0;
  for (let i = 0; i < 50; i++) sup.records.save('c', () => (made++, { format: RECORD_FORMAT, record: { ...sup.get('b').record, id: 'c', exitCode: i }, pidStartTicks: null }));
  await sup.records.written('c');
  t.true(made <= 2, `${made} writes`);
  t.is(stored(dir, 'c').record.exitCode, 49);
  await sup.records.remove('c');
  t.false(fs.existsSync(path.join(dir, 'containers', 'c')));
});

test("a start's reply keeps the record as the start left it, though the command ends before its record is on disk", async (t) => {
  const { dir } = t.context;
  // Writes held until released: the container ends while its start is still being written.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const writer: FileWriter = { write: async (file, text) => (await gate, promiseWriter.write(file, text)) };
  const rt = new FakeRuntime();
  const sup = new Supervisor({ stateDir: dir, graceMs: 40, baseRootfs: null, logger: pino({ level: 'silent' }), logs: new FakeLogs(), memory: new FakeMemory(), runtime: rt, recordWriter: writer });
  fs.mkdirSync(sup.logsDir, { recursive: true });
  sup.recover();
  const starting = sup.start({ verb: 'start', id: 'quick', rootfs: makeFakeRootfs(path.join(dir, 'rootfs-q')), command: ['/bin/true'], softMib: 40, hardMib: 64, nice: 0, logMode: 'blocking' } as ValidStart);
  await until('the start to be done but not yet written', () => sup.get('quick').startRecord !== null);
  rt.of('quick').exit(0);
  await sup.get('quick').done;
  release();
  const c = await starting;
  t.is(c.startRecord!.state, 'running');
  t.is(stored(dir, 'quick').record.state, 'exited', 'on disk, the newest state');
});

test('parseStoredRecord accepts what save writes', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-records-'));
  try {
    const store = new RecordStore(dir);
    const record = { id: 'x', pid: null, state: 'failed', rootfs: '/r', command: ['/x'], limits: { softMib: 1, hardMib: 2 }, nice: 0, cpus: null, startedAt: new Date().toISOString(), finishedAt: null, exitCode: 125, signal: null, reason: 'pipe: EMFILE', logPath: '/l', memoryEnforcer: 'none', memoryEvents: [], rootMode: null, log: { mode: 'blocking', bytes: 0, dropped: 0 }, security: null } as ContainerRecord;
    store.save('x', () => ({ format: RECORD_FORMAT, record, pidStartTicks: null }));
    await store.written();
    t.deepEqual(parseStoredRecord(fs.readFileSync(path.join(dir, 'x', 'record.json'), 'utf8'), 'x').record, record);
    t.deepEqual(store.load().records.map((r) => r.record.id), ['x']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
