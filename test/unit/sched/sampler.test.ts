// The /proc CPU-time sampler, on plain host processes (no root, no supervisor needed).

import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { onlineCpus } from '../../../src/sched/cpus.js';
import { CpuSampler, cpuUseSeries, processTree, readCpuTicks, readProcCpu, summarize, timeToCpu, type Sample } from '../../../bench/sched/sampler.js';
import { when } from '../../support/skip.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

function busy(prefix: string[] = []): ChildProcess {
  const [file, ...args] = [...prefix, 'sh', '-c', 'while :; do :; done'];
  return spawn(file, args, { stdio: 'ignore' });
}

/** Waits until the sampler has seen `label` use `ms` of CPU (the host may be busy: no fixed time). */
async function untilCpu(s: CpuSampler, label: string, ms: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const first = s.samples[0]?.procs[label]?.ns ?? 0;
    const last = s.samples.at(-1)?.procs[label]?.ns ?? 0;
    if (last - first >= ms * 1e6) return;
    await sleep(50);
  }
}

async function kill(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
}

test.serial('a busy loop accumulates CPU time; ns and ticks agree', async (t) => {
  const p = busy();
  try {
    await sleep(50);
    const s = new CpuSampler({ targets: { loop: p.pid! }, intervalMs: 50 }).start();
    await sleep(300);
    await untilCpu(s, 'loop', 150);
    const samples = s.stop();
    t.true(samples.length >= 5, `${samples.length} samples`);
    const w = summarize(samples);
    t.true(w.cpuMs.loop > 100, `${w.cpuMs.loop} ms of CPU`);
    t.true(w.cpuUse.loop <= 1.05, `at most one CPU: ${w.cpuUse.loop}`);
    const last = samples[samples.length - 1].procs.loop;
    t.true(last.alive);
    t.true(Math.abs(last.ns / 1e6 - last.ticks * 10) < 60, `schedstat ${last.ns / 1e6} ms vs stat ${last.ticks} ticks`);
    t.true(samples.every((x, i) => i === 0 || x.procs.loop.ns >= samples[i - 1].procs.loop.ns), 'monotonic');
  } finally {
    await kill(p);
  }
});

test.serial('descendants are counted; without them only the process itself', async (t) => {
  // The shell waits (no CPU) while its child spins.
  const p = spawn('sh', ['-c', 'sh -c "while :; do :; done" & wait'], { stdio: 'ignore' });
  try {
    await sleep(100);
    const withKids = new CpuSampler({ targets: { tree: p.pid! }, descendants: true, intervalMs: 50 }).start();
    const alone = new CpuSampler({ targets: { tree: p.pid! }, descendants: false, intervalMs: 50 }).start();
    await untilCpu(withKids, 'tree', 150);
    const a = summarize(withKids.stop());
    const b = summarize(alone.stop());
    t.true(a.cpuMs.tree > 100, `tree: ${a.cpuMs.tree} ms`);
    t.true(b.cpuMs.tree < 30, `parent alone: ${b.cpuMs.tree} ms`);
    t.is(readProcCpu(p.pid!, undefined).procs, 1);
  } finally {
    for (const pid of processTree(p.pid!).slice(1)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await kill(p);
  }
});

test.serial('a process that ends keeps its last CPU time and reads as not alive', async (t) => {
  const p = spawn('sh', ['-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'], { stdio: 'ignore' });
  const s = new CpuSampler({ targets: { short: p.pid! }, intervalMs: 20 }).start();
  await new Promise((r) => p.once('exit', r));
  await sleep(100);
  const samples = s.stop();
  const last = samples[samples.length - 1].procs.short;
  t.false(last.alive);
  t.true(last.ns > 0);
  t.true(samples.every((x, i) => i === 0 || x.procs.short.ns >= samples[i - 1].procs.short.ns));
});

test('/proc/stat per-CPU counters are readable', (t) => {
  const c = readCpuTicks(onlineCpus()[0]);
  t.truthy(c);
  t.true(c!.busy > 0 && c!.idle >= 0 && c!.steal >= 0);
  t.is(readCpuTicks(99999), null);
});

// Synthetic samples: the window arithmetic and other-load accounting, exactly.
function synth(): Sample[] {
  const mk = (tMs: number, a: number, b: number, busy: number, steal: number, aliveB = true): Sample => ({
    tMs,
    procs: {
      a: { ns: a * 1e6, ticks: a / 10, runDelayNs: 0, alive: true, procs: 1 },
      b: { ns: b * 1e6, ticks: b / 10, runDelayNs: 0, alive: aliveB, procs: aliveB ? 1 : 0 },
    },
    cpu: { busy, steal, idle: 0 },
  });
  // 0..1000 ms: a gets 600 ms, b 200 ms, the CPU was busy 950 ms (so 150 ms others) and 20 ms stolen.
  return [mk(0, 0, 0, 0, 0), mk(500, 300, 100, 47, 1), mk(1000, 600, 200, 95, 2), mk(1100, 600, 200, 96, 2, false)];
}

test('summarize: shares, CPU use and the other load on the CPU', (t) => {
  const w = summarize(synth(), 0, 1000);
  t.is(w.wallMs, 1000);
  t.deepEqual(w.cpuMs, { a: 600, b: 200 });
  t.deepEqual(w.share, { a: 0.75, b: 0.25 });
  t.deepEqual(w.cpuUse, { a: 0.6, b: 0.2 });
  t.truthy(w.cpu);
  t.true(Math.abs(w.cpu!.busy - 0.95) < 1e-9);
  t.true(Math.abs(w.cpu!.other - 0.15) < 1e-9);
  t.true(Math.abs(w.cpu!.steal - 0.02) < 1e-9);
});

test('timeToCpu interpolates between samples; cpuUseSeries skips ended processes', (t) => {
  const s = synth();
  t.is(timeToCpu(s, 'a', 450), 750);
  t.is(timeToCpu(s, 'b', 1000), null);
  const series = cpuUseSeries(s);
  t.deepEqual(series.filter((p) => p.label === 'a').map((p) => p.use), [0.6, 0.6, 0]);
  t.is(series.filter((p) => p.label === 'b').length, 3, 'b counted up to the interval in which it ended');
  t.is(cpuUseSeries(s, 200).length, 4, 'short intervals left out');
});

const pinned = when(test, hasTaskset ? null : 'no taskset').serial;
pinned('two loops pinned to one CPU in one session, nice 0 vs +10: the nice 0 one gets more', async (t) => {
  const cpu = String(onlineCpus().at(-1));
  // Same session as this test (autogroup or not), so plain nice decides: weights 1024 vs 110.
  const a = busy(['taskset', '-c', cpu, 'nice', '-n', '0']);
  const b = busy(['taskset', '-c', cpu, 'nice', '-n', '10']);
  try {
    await sleep(100);
    const s = new CpuSampler({ targets: { a: a.pid!, b: b.pid! }, cpu: Number(cpu) }).start();
    await untilCpu(s, 'a', 500);
    const w = summarize(s.stop());
    t.log(`nice 0: ${w.cpuMs.a.toFixed(0)} ms, nice 10: ${w.cpuMs.b.toFixed(0)} ms, ratio ${(w.cpuMs.a / w.cpuMs.b).toFixed(1)} (weights: 9.3); other load ${(w.cpu!.other * 100).toFixed(0)}%`);
    t.true(w.cpuMs.a > w.cpuMs.b * 2, 'the nice 0 loop got clearly more CPU');
  } finally {
    await kill(a);
    await kill(b);
  }
});
