// Memory limits end to end through the real supervisor and CLI, with `--memory-enforcer cgroup`
// (or ENGINE_TEST_MEMORY_ENFORCER=module in the QEMU guest where monitor.ko is loaded):
// over hard -> run returns 137, state hard_limit_killed with a hard event; over soft only -> one
// soft event, still running, and `stop` still ends `stopped`; far under -> exited 0, no events;
// no cgroup left after an orderly shutdown; a killed supervisor's cgroups are removed by the next.

import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Result, runEngine } from '../support/harness.js';
import { until } from '../support/process.js';
import { e2eSkipReason, ROOTFS_BASE, when } from '../support/skip.js';
import { call } from '../../src/cli/client.js';
import { CLI_ENTRY } from '../../src/paths.js';
import { findV1 } from '../../src/memory/cgroup-v1.js';
import { findV2 } from '../../src/memory/cgroup-v2.js';


// In the QEMU guest (TCG) a Node process takes seconds to start: longer deadlines there.
const SLOW = process.env.ENGINE_IN_VM === '1';
const START_MS = SLOW ? 180_000 : 15_000;
const execFileP = promisify(execFile);

/** A real supervisor on its own socket (like test/helpers' one, with a deadline that suits the VM). */
class Supervisor {
  proc!: ChildProcess;
  log = '';
  exit!: Promise<unknown>;
  readonly socket: string;
  private constructor(readonly dir: string) {
    this.socket = path.join(dir, 'engine.sock');
  }
  static async start(opts: { graceMs: number; args: string[] }): Promise<Supervisor> {
    const sup = new Supervisor(fs.mkdtempSync(path.join(os.tmpdir(), 'engine-mem-')));
    sup.proc = spawn(process.execPath, [CLI_ENTRY, 'supervisor', '--socket', sup.socket, '--state-dir', path.join(sup.dir, 'state'), '--grace-ms', String(opts.graceMs), ...opts.args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    sup.proc.stderr!.on('data', (d) => (sup.log += d));
    let exited = false;
    sup.exit = new Promise((r) => sup.proc.on('exit', () => r((exited = true))));
    await until(
      'the supervisor to answer',
      async () => {
        if (exited) throw new Error(`supervisor exited at start: ${sup.log.trim()}`);
        return fs.existsSync(sup.socket) && (await call(sup.socket, { verb: 'ping' }).then((r) => r.ok, () => false));
      },
      START_MS,
      50,
    );
    return sup;
  }
  get pid(): number {
    return this.proc.pid!;
  }
  engine(...args: string[]): Promise<Result> {
    return runEngine(args, { ENGINE_SOCKET: this.socket }, { timeoutMs: SLOW ? 300_000 : 60_000 });
  }
  /** Straight over the socket: no CLI process per look (seconds each under TCG). */
  async inspect(id: string): Promise<Info> {
    const r = await call(this.socket, { verb: 'inspect', id });
    if (!r.ok || !('record' in r)) throw new Error(`inspect ${id}: ${JSON.stringify(r)}`);
    return r.record as unknown as Info;
  }
  async rootfs(): Promise<string> {
    const dir = path.join(this.dir, `rootfs-${Math.random().toString(36).slice(2, 8)}`);
    await execFileP('cp', ['-a', ROOTFS_BASE, dir]);
    return dir;
  }
  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 30_000);
      await this.exit;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

const test = anyTest as TestFn<{ sup: Supervisor; kind: string }>;
const ENFORCER = process.env.ENGINE_TEST_MEMORY_ENFORCER === 'module' ? 'module' : 'cgroup';
const isModule = ENFORCER === 'module';
let skip: string | null = e2eSkipReason;

/** The memory cgroup directory this test process (and so the supervisors it starts) lives in. */
function ownMemoryDir(): string | null {
  const v2 = findV2();
  if (v2 && v2.controllers.includes('memory')) return v2.ownDir;
  return findV1()?.ownDir ?? null;
}

function supervisorParents(pid: number): string[] {
  const own = ownMemoryDir();
  if (!own) return [];
  return fs.readdirSync(own).filter((n) => n.startsWith(`engine-${pid}.`)).map((n) => path.join(own, n));
}

// Decided at load time (top-level await) so that a skip is reported as a skip, not as a pass.
let shared: Supervisor | null = null;
let kind = '?';
if (!skip && !isModule && !ownMemoryDir()) skip = 'no memory cgroup on this host';
if (!skip && isModule && !fs.existsSync('/dev/container_monitor')) skip = 'monitor.ko is not loaded';
if (!skip) {
  shared = await Supervisor.start({ graceMs: 1000, args: ['--memory-enforcer', ENFORCER] });
  await until('the enforcer line', () => /memory enforcer/.test(shared!.log), SLOW ? 60_000 : 5000).catch(() => null);
  const m = /"enforcer":"([a-z0-9-]+)"/.exec(shared.log);
  kind = m?.[1] ?? '?';
  if (!m || m[1] === 'none') {
    skip = `the supervisor does not enforce with --memory-enforcer ${ENFORCER} yet (${shared.log.split('\n').find((l) => /enforcer/.test(l)) ?? 'no enforcer line'})`;
    await shared.stop();
    shared = null;
  }
}

test.before((t) => {
  if (shared) {
    t.context.sup = shared;
    t.context.kind = kind;
  }
});
test.after.always(async (t) => {
  const sup = t.context.sup;
  if (!sup) return;
  const pid = sup.pid;
  await sup.stop();
  if (!skip && !isModule) t.deepEqual(supervisorParents(pid), [], 'an orderly shutdown leaves no memory cgroup');
});

const gated = when(test, skip);
const e2e = (title: string, fn: (t: ExecutionContext<{ sup: Supervisor; kind: string }>, sup: Supervisor) => Promise<void>) =>
  gated(title, async (t) => {
    await fn(t, t.context.sup);
  });

interface Info {
  state: string;
  exitCode: number | null;
  signal: string | null;
  memoryEnforcer: string;
  memoryEvents: Array<{ kind: string; at: string; usageBytes?: number; limitBytes: number }>;
}

e2e('over the hard limit: run returns 137, hard_limit_killed, one soft then one hard event', async (t, sup) => {
  const r = await sup.engine('run', 'mem-hard', await sup.rootfs(), '/memory_hog', '4', '50', '--soft-mib', '1', '--hard-mib', '16');
  t.is(r.code, 137, r.stderr);
  const info = await sup.inspect('mem-hard');
  t.is(info.state, 'hard_limit_killed');
  t.is(info.exitCode, 137);
  t.is(info.memoryEnforcer, t.context.kind);
  t.deepEqual(info.memoryEvents.map((e) => e.kind), ['soft', 'hard']);
  t.is(info.memoryEvents[1].limitBytes, 16 * 1024 * 1024);
  if (isModule) t.true((info.memoryEvents[1].usageBytes ?? 0) > 16 * 1024 * 1024, 'the module kills above the limit (RSS polled)');
  else t.true((info.memoryEvents[1].usageBytes ?? 0) <= 16 * 1024 * 1024, 'peak usage never above the limit');
});

e2e('over the soft limit only: one soft event, keeps running, and stop still ends stopped', async (t, sup) => {
  const r = await sup.engine('start', 'mem-soft', await sup.rootfs(), '/memory_hog', '--max', '16', '--hold', '4', '20', '--soft-mib', '8', '--hard-mib', '64');
  t.is(r.code, 0, r.stderr);
  const info = (await until('the soft event', async () => {
    const i = await sup.inspect('mem-soft');
    return i.memoryEvents.length > 0 ? i : null;
  }, SLOW ? 120_000 : 10_000)) as Info;
  t.is(info.memoryEvents[0].kind, 'soft');
  t.is(info.memoryEvents[0].limitBytes, 8 * 1024 * 1024);
  await new Promise((r) => setTimeout(r, 500));
  const later = await sup.inspect('mem-soft');
  t.is(later.state, 'running');
  t.is(later.memoryEvents.length, 1, 'exactly one soft event');
  const s = await sup.engine('stop', 'mem-soft', '-t', '1');
  t.is(s.code, 0, s.stderr);
  const end = (await until('stopped', async () => {
    const i = await sup.inspect('mem-soft');
    return i.state !== 'running' ? i : null;
  }, SLOW ? 120_000 : 10_000)) as Info;
  t.is(end.state, 'stopped');
  t.deepEqual(end.memoryEvents.map((e) => e.kind), ['soft']);
});

e2e('far under both limits: exited 0, no events', async (t, sup) => {
  const r = await sup.engine('run', 'mem-under', await sup.rootfs(), '/memory_hog', '--max', '4', '1', '10');
  t.is(r.code, 0, r.stderr);
  const info = await sup.inspect('mem-under');
  t.is(info.state, 'exited');
  t.deepEqual(info.memoryEvents, []);
});

when(test, skip ?? (isModule ? 'the kernel module keeps no cgroups' : null))('a supervisor killed outright leaves cgroups that the next one removes', async (t) => {
  const a = await Supervisor.start({ graceMs: 500, args: ['--memory-enforcer', 'cgroup'] });
  const r = await a.engine('start', 'mem-crash', await a.rootfs(), '/memory_hog', '--max', '2', '--hold', '1', '10', '--soft-mib', '8', '--hard-mib', '16');
  t.is(r.code, 0, r.stderr);
  await until('the container cgroup', () => supervisorParents(a.pid).some((p) => fs.existsSync(path.join(p, 'mem-crash'))), SLOW ? 120_000 : 10_000);
  const left = supervisorParents(a.pid);
  a.proc.kill('SIGKILL');
  await a.exit;
  t.true(left.every((p) => fs.existsSync(p)), 'left behind by the killed supervisor');
  const b = await Supervisor.start({ graceMs: 500, args: ['--memory-enforcer', 'cgroup'] });
  try {
    t.true(left.every((p) => !fs.existsSync(p)), 'removed when the next supervisor starts');
  } finally {
    await b.stop();
    await a.stop().catch(() => {});
  }
});
