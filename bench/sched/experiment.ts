// Scenario definitions and the runner: containers started through the supervisor, pinned to one
// CPU, sampled every 100 ms until each has finished its work.
import fs from 'node:fs';
import path from 'node:path';
import { CpuSampler, cpuUseSeries, summarize, timeToCpu, type Sample, type WindowSummary } from './sampler.js';
import { predictedRatio, predictedShare } from './weights.js';
import { copyRootfs, type BenchSupervisor } from './harness.js';

export type Workload = 'cpu_hog' | 'io_pulse' | 'memory_hog';

export interface ContainerSpec {
  name: string;
  workload: Workload;
  args: string[];
  /** The command, when not /WORKLOAD ARGS... */
  command?: string[];
  nice: number;
  /** Fixed work: the container is done (and stopped) once it has had this much CPU time. */
  cpuBudgetMs?: number;
  /** Ends by itself (its completion time is its exit). */
  exits?: boolean;
  /** Neither: it only provides competition and is stopped when the others are done. */
  softMib?: number;
  hardMib?: number;
}

export interface Scenario {
  id: string;
  title: string;
  kind: 'cpu-pair' | 'cpu-io' | 'io-solo' | 'memory-pair' | 'memory-fast';
  containers: ContainerSpec[];
  /** Safety limit: anything still running is stopped after this long. */
  maxMs: number;
}

export interface ContainerResult {
  name: string;
  id: string;
  workload: Workload;
  command: string[];
  nice: number;
  pid: number;
  /** Share of the containers' CPU time predicted by the weights if all were CPU-bound. */
  predictedShare: number;
  /** Measured share of the containers' CPU time while all competed. */
  measuredShare: number;
  /** Fraction of the pinned CPU it used while all competed. */
  cpuUse: number;
  cpuMs: number;
  /** Time runnable but waiting for the CPU while all competed. */
  waitMs: number;
  /** ms from the common start to the end of its work, or null (stopped as background / timed out). */
  completionMs: number | null;
  completion: 'cpu budget reached' | 'exited' | 'stopped (background)' | 'timed out';
  finalState: string;
  exitCode: number | null;
  /** A line of the workload's own output worth keeping (io_pulse/memory_hog/cpu_hog final line). */
  lastLine: string | null;
  totalCpuMs: number;
}

export interface ScenarioResult {
  id: string;
  title: string;
  kind: Scenario['kind'];
  cpu: number;
  durationMs: number;
  /** The window in which every container competed: from the common start to the first completion. */
  window: { fromMs: number; toMs: number };
  containers: ContainerResult[];
  /** First container's CPU over the second's, predicted by the weights and measured (two-container scenarios). */
  predictedRatio: number | null;
  measuredRatio: number | null;
  /** measured / predicted - 1 */
  ratioError: number | null;
  /** The pinned CPU while all competed (fractions of wall time). */
  load: NonNullable<WindowSummary['cpu']> | null;
  /** The pinned CPU over the whole scenario. */
  loadWhole: NonNullable<WindowSummary['cpu']> | null;
  /** CPU use per 100 ms interval (fraction of the CPU) per container, for the timeline chart. */
  series: { t: number; name: string; use: number }[];
  samples: number;
}

export function scenarios(quick: boolean): Scenario[] {
  const budget = quick ? 1000 : 5000;
  const memBudget = quick ? 1000 : 3000;
  const hogSeconds = String(quick ? 60 : 120); // never reached: the bench stops each hog at its budget
  const pair = (id: string, a: number, b: number): Scenario => ({
    id,
    title: `cpu_hog nice ${fmtNice(a)} vs cpu_hog nice ${fmtNice(b)}`,
    kind: 'cpu-pair',
    maxMs: budget * 4 + 2000, // the second of a pair may compete with other load alone: do not wait for ever
    containers: [
      { name: 'a', workload: 'cpu_hog', args: [hogSeconds], nice: a, cpuBudgetMs: budget },
      { name: 'b', workload: 'cpu_hog', args: [hogSeconds], nice: b, cpuBudgetMs: budget },
    ],
  });
  const ioIter = String(quick ? 25 : 100);
  const ioSleep = '20';
  return [
    pair('nice-0-0', 0, 0),
    pair('nice-0-5', 0, 5),
    pair('nice-m10-10', -10, 10),
    pair('nice-0-19', 0, 19),
    {
      id: 'io-alone',
      title: 'io_pulse alone (baseline)',
      kind: 'io-solo',
      maxMs: 60_000,
      containers: [{ name: 'io', workload: 'io_pulse', args: [ioIter, ioSleep, '/tmp/io_pulse.out'], nice: 0, exits: true }],
    },
    {
      id: 'cpu-vs-io',
      title: 'cpu_hog nice 0 vs io_pulse nice 0',
      kind: 'cpu-io',
      maxMs: 60_000,
      containers: [
        { name: 'cpu', workload: 'cpu_hog', args: [hogSeconds], nice: 0 },
        { name: 'io', workload: 'io_pulse', args: [ioIter, ioSleep, '/tmp/io_pulse.out'], nice: 0, exits: true },
      ],
    },
    {
      id: 'memory-m10-10',
      title: "memory_hog nice -10 vs memory_hog nice +10 (the seed's pair)",
      kind: 'memory-pair',
      maxMs: 60_000,
      containers: [
        { name: 'a', workload: 'memory_hog', args: ['--max', quick ? '16' : '48'], nice: -10, exits: true, softMib: 192, hardMib: 256 },
        { name: 'b', workload: 'memory_hog', args: ['--max', quick ? '16' : '48'], nice: 10, exits: true, softMib: 192, hardMib: 256 },
      ],
    },
    {
      // The same program without its 1 s pauses, again and again: page faults, zeroing and freeing
      // memory, never asleep. Fixed work like the cpu_hog pairs (counted over the shell and its
      // children, reaped ones included).
      id: 'memory-fast-m10-10',
      title: 'memory_hog --fast loop nice -10 vs nice +10',
      kind: 'memory-fast',
      maxMs: memBudget * 4 + 2000,
      containers: ['a', 'b'].map((name, i) => ({
        name,
        workload: 'memory_hog' as const,
        args: [],
        command: ['/bin/sh', '-c', `while /memory_hog --fast --max ${quick ? 256 : 2048} 64 >/dev/null; do :; done`],
        nice: i === 0 ? -10 : 10,
        cpuBudgetMs: memBudget,
        softMib: quick ? 512 : 2560,
        hardMib: quick ? 512 : 2560,
      })),
    },
  ];
}

export function fmtNice(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function lastLineOf(log: string, pattern: RegExp): string | null {
  const lines = log.split('\n').filter((l) => pattern.test(l));
  return lines.length ? lines[lines.length - 1] : null;
}

/** Runs one scenario with fresh rootfs copies; removes containers and copies afterwards. */
export async function runScenario(sup: BenchSupervisor, base: string, scratch: string, cpu: number, sc: Scenario, tag: string, onStarted?: (name: string, pid: number) => void): Promise<ScenarioResult> {
  const specs = sc.containers;
  const ids = specs.map((c) => `sched-${tag}-${sc.id}-${c.name}`);
  const roots = await Promise.all(ids.map((id) => copyRootfs(base, path.join(scratch, id))));
  try {
    const records = await Promise.all(
      specs.map((c, i) =>
        sup.startContainer({
          id: ids[i],
          rootfs: roots[i],
          command: c.command ?? [`/${c.workload}`, ...c.args],
          nice: c.nice,
          cpus: String(cpu),
          softMib: c.softMib,
          hardMib: c.hardMib,
        }),
      ),
    );
    const pids = records.map((r) => r.pid!);
    specs.forEach((c, i) => onStarted?.(c.name, pids[i]));
    const done = new Map<string, { ms: number | null; how: ContainerResult['completion'] }>();
    const stops: Promise<void>[] = [];
    const stopOnce = (i: number) => stops.push(sup.stopContainer(ids[i]).catch(() => {}));

    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    const sampler = new CpuSampler({
      targets: Object.fromEntries(specs.map((c, i) => [c.name, pids[i]])),
      cpu,
      intervalMs: 100,
      onSample: (s: Sample) => {
        specs.forEach((c, i) => {
          if (done.has(c.name)) return;
          const p = s.procs[c.name];
          if (c.cpuBudgetMs !== undefined && p.ns - sampler.samples[0].procs[c.name].ns >= c.cpuBudgetMs * 1e6) {
            done.set(c.name, { ms: timeToCpu(sampler.samples, c.name, c.cpuBudgetMs), how: 'cpu budget reached' });
            stopOnce(i);
          } else if (!p.alive) {
            done.set(c.name, { ms: c.exits ? s.tMs - sampler.samples[0].tMs : null, how: c.exits ? 'exited' : 'timed out' });
          }
        });
        const workers = specs.filter((c) => c.cpuBudgetMs !== undefined || c.exits);
        if (workers.every((c) => done.has(c.name)) || s.tMs > sc.maxMs) finish();
      },
    });
    sampler.start();
    await finished;
    const samples = sampler.stop();
    specs.forEach((c, i) => {
      if (!done.has(c.name)) {
        const worker = c.cpuBudgetMs !== undefined || c.exits;
        done.set(c.name, { ms: null, how: worker ? 'timed out' : 'stopped (background)' });
        stopOnce(i);
      }
    });
    await Promise.all(stops);

    // The window in which all competed: up to the first completion (or the whole run).
    const firstDone = Math.min(...[...done.values()].map((d) => d.ms ?? Infinity));
    const toMs = Number.isFinite(firstDone) ? firstDone : samples[samples.length - 1].tMs;
    const win = summarize(samples, samples[0].tMs, samples[0].tMs + toMs);
    const whole = summarize(samples);
    const predicted = sc.kind === 'io-solo' ? [1] : predictedShare(specs.map((c) => c.nice));
    const results: ContainerResult[] = [];
    for (const [i, c] of specs.entries()) {
      const rec = await sup.inspect(ids[i]).catch(() => null);
      const log = sup.logOf(ids[i]);
      const d = done.get(c.name)!;
      results.push({
        name: c.name,
        id: ids[i],
        workload: c.workload,
        command: c.command ?? [`/${c.workload}`, ...c.args],
        nice: c.nice,
        pid: pids[i],
        predictedShare: predicted[i],
        measuredShare: win.share[c.name],
        cpuUse: win.cpuUse[c.name],
        cpuMs: win.cpuMs[c.name],
        waitMs: win.waitMs[c.name],
        completionMs: d.ms,
        completion: d.how,
        finalState: rec?.state ?? 'unknown',
        exitCode: rec?.exitCode ?? null,
        lastLine: lastLineOf(log, /done|total=|reached max/),
        totalCpuMs: whole.cpuMs[c.name],
      });
    }
    const two = specs.length === 2;
    const predictedR = two ? predictedRatio(specs[0].nice, specs[1].nice) : null;
    const measuredR = two && win.cpuMs[specs[1].name] > 0 ? win.cpuMs[specs[0].name] / win.cpuMs[specs[1].name] : null;
    return {
      id: sc.id,
      title: sc.title,
      kind: sc.kind,
      cpu,
      durationMs: samples[samples.length - 1].tMs - samples[0].tMs,
      window: { fromMs: 0, toMs: win.toMs - samples[0].tMs },
      containers: results,
      predictedRatio: predictedR,
      measuredRatio: measuredR,
      ratioError: predictedR !== null && measuredR !== null ? measuredR / predictedR - 1 : null,
      load: win.cpu,
      loadWhole: whole.cpu,
      series: cpuUseSeries(samples, 50).map((p) => ({ t: (p.tMs - samples[0].tMs) / 1000, name: p.label, use: p.use })),
      samples: samples.length,
    };
  } finally {
    for (const id of ids) {
      await sup.stopContainer(id).catch(() => {});
      await sup.remove(id);
    }
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  }
}
