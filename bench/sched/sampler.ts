// CPU-time sampler for a set of host processes (and their descendants), plus the load on one CPU.
//
// Every interval (default 100 ms) it reads, for each target:
//   - utime+stime (+ cutime+cstime of reaped children) from /proc/<pid>/stat, in clock ticks;
//   - sum_exec_runtime from /proc/<pid>/task/<tid>/schedstat, in ns (the precise figure: a task at
//     nice +10 next to one at -10 gets ~1% of a CPU, a few ticks a second, so ticks alone are too coarse);
// and, for the CPU the targets are pinned to, the busy/steal/idle ticks of its /proc/stat line, so
// the time that CPU spent on anything other than the targets can be reported.
import fs from 'node:fs';
import { readStat as readProcStat } from '../../src/proc/proc.js';

/** USER_HZ: the unit of /proc/<pid>/stat and /proc/stat times. 100 on every Linux architecture that matters. */
export const USER_HZ = 100;
export const TICK_MS = 1000 / USER_HZ;

export interface ProcCpu {
  /** CPU time in ns: schedstat of the live tree + ticks of its reaped children (monotonic). */
  ns: number;
  /** CPU time in clock ticks from /proc/<pid>/stat (utime+stime+cutime+cstime over the live tree). */
  ticks: number;
  /** Time spent runnable but waiting for a CPU (schedstat run_delay), ns, over the live tree. */
  runDelayNs: number;
  /** The root process still exists and is not a zombie. */
  alive: boolean;
  /** Number of processes counted (root + live descendants). */
  procs: number;
}

export interface CpuTicks {
  busy: number;
  steal: number;
  idle: number;
}

export interface Sample {
  /** ms since the sampler started (monotonic clock). */
  tMs: number;
  procs: Record<string, ProcCpu>;
  /** The watched CPU's counters, or null when no CPU is watched. */
  cpu: CpuTicks | null;
}

/** state, parent and CPU ticks (own, and of reaped children) of a process, or null when it is gone. */
function readStat(pid: number): { state: string; ppid: number; ticks: number; childTicks: number } | null {
  const st = readProcStat(pid);
  return st && { state: st.state, ppid: st.ppid, ticks: st.utime + st.stime, childTicks: st.cutime + st.cstime };
}

/** sum_exec_runtime and run_delay (ns) over the threads of a process; null if it is gone. */
export function readSchedstat(pid: number): { ns: number; runDelayNs: number } | null {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let ns = 0;
  let runDelayNs = 0;
  for (const tid of tids) {
    try {
      const [exec, delay] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/);
      ns += Number(exec);
      runDelayNs += Number(delay);
    } catch {
      /* thread ended meanwhile */
    }
  }
  return { ns, runDelayNs };
}

/** The parent of every process, from one pass over /proc. */
function parentMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (!st) continue;
    const list = children.get(st.ppid);
    if (list) list.push(Number(name));
    else children.set(st.ppid, [Number(name)]);
  }
  return children;
}

/** The pid and all its live descendants (breadth first). */
export function processTree(pid: number, children: Map<number, number[]> = parentMap()): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const c of children.get(out[i]) ?? []) out.push(c);
  return out;
}

/** One reading of a process (and, with descendants, its live tree). */
export function readProcCpu(pid: number, children?: Map<number, number[]>): ProcCpu {
  const pids = children ? processTree(pid, children) : [pid];
  let ns = 0;
  let ticks = 0;
  let runDelayNs = 0;
  let alive = false;
  let procs = 0;
  for (const p of pids) {
    const st = readStat(p);
    if (!st) continue;
    const ss = readSchedstat(p);
    if (p === pid) alive = st.state !== 'Z' && st.state !== 'X';
    procs++;
    ticks += st.ticks + st.childTicks;
    ns += (ss ? ss.ns : st.ticks * TICK_MS * 1e6) + st.childTicks * TICK_MS * 1e6;
    runDelayNs += ss ? ss.runDelayNs : 0;
  }
  return { ns, ticks, runDelayNs, alive, procs };
}

/** busy (user+nice+system+irq+softirq), steal and idle (idle+iowait) ticks of one CPU from /proc/stat. */
export function readCpuTicks(cpu: number): CpuTicks | null {
  let text: string;
  try {
    text = fs.readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const m = new RegExp(`^cpu${cpu} (.+)$`, 'm').exec(text);
  if (!m) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = m[1].trim().split(/\s+/).map(Number);
  return { busy: user + nice + system + irq + softirq, steal: steal || 0, idle: idle + iowait };
}

export interface SamplerOptions {
  /** label -> host pid */
  targets?: Record<string, number>;
  /** CPU whose other load is measured (the one the targets are pinned to). */
  cpu?: number;
  intervalMs?: number;
  /** Count the targets' descendants too (one pass over /proc per sample). Default true. */
  descendants?: boolean;
  /** Called after every sample. */
  onSample?: (s: Sample) => void;
}

/** Samples the targets every intervalMs from start() to stop(). */
export class CpuSampler {
  readonly samples: Sample[] = [];
  private readonly targets = new Map<string, number>();
  private readonly last = new Map<string, ProcCpu>();
  private readonly intervalMs: number;
  private readonly descendants: boolean;
  private t0 = 0n;
  private timer: NodeJS.Timeout | null = null;
  private ticksDone = 0;

  constructor(private readonly opts: SamplerOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 100;
    this.descendants = opts.descendants ?? true;
    for (const [label, pid] of Object.entries(opts.targets ?? {})) this.targets.set(label, pid);
  }

  /** Adds a process to watch from the next sample on. */
  add(label: string, pid: number): void {
    this.targets.set(label, pid);
  }

  /** Takes the first sample now and one every intervalMs after it (on a fixed grid, no drift). */
  start(): this {
    if (this.timer) return this;
    this.t0 = process.hrtime.bigint();
    this.ticksDone = 0;
    this.sampleNow();
    this.schedule();
    return this;
  }

  private schedule(): void {
    this.ticksDone++;
    const due = Number(this.t0 / 1_000_000n) + this.ticksDone * this.intervalMs;
    const wait = Math.max(0, due - Number(process.hrtime.bigint() / 1_000_000n));
    this.timer = setTimeout(() => {
      this.sampleNow();
      if (this.timer) this.schedule();
    }, wait);
  }

  /** Elapsed ms since start(). */
  now(): number {
    return Number(process.hrtime.bigint() - this.t0) / 1e6;
  }

  /** Takes one sample immediately (also used for the last one before stopping). */
  sampleNow(): Sample {
    const children = this.descendants ? parentMap() : undefined;
    const procs: Record<string, ProcCpu> = {};
    for (const [label, pid] of this.targets) {
      const prev = this.last.get(label);
      let cur = readProcCpu(pid, children);
      if (cur.procs === 0 && prev) cur = { ...prev, alive: false, procs: 0 };
      else if (prev) {
        // A child reaped between samples turns its precise ns into ticks of its parent: never go back.
        cur = { ...cur, ns: Math.max(cur.ns, prev.ns), ticks: Math.max(cur.ticks, prev.ticks), runDelayNs: Math.max(cur.runDelayNs, prev.runDelayNs) };
      }
      this.last.set(label, cur);
      procs[label] = cur;
    }
    const s: Sample = { tMs: this.now(), procs, cpu: this.opts.cpu === undefined ? null : readCpuTicks(this.opts.cpu) };
    this.samples.push(s);
    this.opts.onSample?.(s);
    return s;
  }

  /** Stops sampling after one final sample; returns every sample taken. */
  stop(): Sample[] {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.sampleNow();
    }
    return this.samples;
  }
}

export interface WindowSummary {
  fromMs: number;
  toMs: number;
  wallMs: number;
  /** label -> CPU ms in the window */
  cpuMs: Record<string, number>;
  /** label -> fraction of the targets' total CPU time in the window */
  share: Record<string, number>;
  /** label -> fraction of one CPU (cpuMs / wallMs) */
  cpuUse: Record<string, number>;
  /** label -> time runnable but waiting for the CPU, ms */
  waitMs: Record<string, number>;
  /** The watched CPU in the window (fractions of wall time), or null without one. */
  cpu: { busy: number; steal: number; idle: number; targets: number; other: number } | null;
}

/** Index of the sample nearest to tMs. */
function nearest(samples: Sample[], tMs: number): number {
  let best = 0;
  for (let i = 1; i < samples.length; i++) if (Math.abs(samples[i].tMs - tMs) < Math.abs(samples[best].tMs - tMs)) best = i;
  return best;
}

/** Sums a window of samples [fromMs, toMs] (snapped to the nearest samples). */
export function summarize(samples: Sample[], fromMs = 0, toMs = Infinity): WindowSummary {
  if (samples.length < 2) throw new Error('summarize needs at least two samples');
  const a = samples[nearest(samples, fromMs)];
  const b = samples[nearest(samples, Math.min(toMs, samples[samples.length - 1].tMs))];
  const wallMs = b.tMs - a.tMs;
  const cpuMs: Record<string, number> = {};
  const waitMs: Record<string, number> = {};
  let total = 0;
  for (const label of Object.keys(b.procs)) {
    const pa = a.procs[label];
    const pb = b.procs[label];
    cpuMs[label] = (pb.ns - (pa?.ns ?? 0)) / 1e6;
    waitMs[label] = (pb.runDelayNs - (pa?.runDelayNs ?? 0)) / 1e6;
    total += cpuMs[label];
  }
  const share: Record<string, number> = {};
  const cpuUse: Record<string, number> = {};
  for (const label of Object.keys(cpuMs)) {
    share[label] = total > 0 ? cpuMs[label] / total : 0;
    cpuUse[label] = wallMs > 0 ? cpuMs[label] / wallMs : 0;
  }
  let cpu: WindowSummary['cpu'] = null;
  if (a.cpu && b.cpu && wallMs > 0) {
    const busy = ((b.cpu.busy - a.cpu.busy) * TICK_MS) / wallMs;
    const steal = ((b.cpu.steal - a.cpu.steal) * TICK_MS) / wallMs;
    const idle = ((b.cpu.idle - a.cpu.idle) * TICK_MS) / wallMs;
    const targets = total / wallMs;
    cpu = { busy, steal, idle, targets, other: Math.max(0, busy - targets) };
  }
  return { fromMs: a.tMs, toMs: b.tMs, wallMs, cpuMs, share, cpuUse, waitMs, cpu };
}

/** Per-interval CPU use (fraction of one CPU) of each label: one point per pair of consecutive samples
 * at least minIntervalMs apart. */
export function cpuUseSeries(samples: Sample[], minIntervalMs = 1): { tMs: number; label: string; use: number }[] {
  const out: { tMs: number; label: string; use: number }[] = [];
  for (let i = 1; i < samples.length; i++) {
    const dt = samples[i].tMs - samples[i - 1].tMs;
    if (dt < minIntervalMs) continue; // e.g. the short last interval: too coarse to mean anything
    for (const [label, p] of Object.entries(samples[i].procs)) {
      const prev = samples[i - 1].procs[label];
      if (!prev || (!prev.alive && !p.alive)) continue;
      out.push({ tMs: samples[i].tMs, label, use: (p.ns - prev.ns) / 1e6 / dt });
    }
  }
  return out;
}

/**
 * When a label's CPU time first reached `budgetMs` (counted from the sample at fromMs), interpolated
 * between samples; null if it never did.
 */
export function timeToCpu(samples: Sample[], label: string, budgetMs: number, fromMs = 0): number | null {
  const i0 = nearest(samples, fromMs);
  const base = samples[i0].procs[label]?.ns ?? 0;
  for (let i = i0 + 1; i < samples.length; i++) {
    const cur = (samples[i].procs[label]?.ns ?? 0) - base;
    if (cur >= budgetMs * 1e6) {
      const prev = (samples[i - 1].procs[label]?.ns ?? 0) - base;
      const f = cur > prev ? (budgetMs * 1e6 - prev) / (cur - prev) : 1;
      return samples[i - 1].tMs + f * (samples[i].tMs - samples[i - 1].tMs) - samples[i0].tMs;
    }
  }
  return null;
}
