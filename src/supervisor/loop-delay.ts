// How late the supervisor's event loop runs, measured by Node's own sampler
// (perf_hooks.monitorEventLoopDelay): every request, exit watch, stop timer and log stream waits
// behind whatever runs synchronously on the main thread, so this is the figure that says whether
// `ps` can answer during a stop's grace. `engine info` shows it; the supervisor logs it at shutdown.
//
// A late loop has three possible causes, and they call for different cures: the main thread was
// busy (synchronous work: move it off the thread), it was ready but had no CPU (the machine's other
// threads and processes had them), or it was asleep inside a turn (a system call or a lock that
// waited). The kernel counts the first two for every thread (/proc/thread-self/schedstat: time on a
// CPU, time waiting on a run queue); the rest of a stall is the third. A second sampler, on the
// same period, keeps the worst stall with that split.

import fs from 'node:fs';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import type { LoopDelayInfo } from '../protocol/messages.js';

export type LoopDelaySummary = LoopDelayInfo;

const round = (ms: number) => Math.round(ms * 100) / 100;
const SCHEDSTAT = '/proc/thread-self/schedstat';

// Kept open and read again at offset 0 (the kernel makes the text anew): one system call per
// sample instead of three, 100 times a second.
let schedstatFd: number | null | undefined;
const schedstatBuf = Buffer.alloc(128);

/** The main thread's [time on a CPU, time waiting for one] in ms, or null. Call it from the main
 *  thread only: the file is opened from the thread that first calls it. */
function threadTimes(): [number, number] | null {
  try {
    schedstatFd ??= fs.openSync(SCHEDSTAT, 'r');
    if (schedstatFd === null) return null;
    const n = fs.readSync(schedstatFd, schedstatBuf, 0, schedstatBuf.length, 0);
    const [cpu, wait] = schedstatBuf.toString('latin1', 0, n).split(' ');
    return [Number(cpu) / 1e6, Number(wait) / 1e6];
  } catch {
    schedstatFd = null;
    return null;
  }
}

export class LoopDelay {
  private readonly h: IntervalHistogram;
  private since = Date.now();
  private readonly sampler: NodeJS.Timeout | null = null;
  private last = performance.now();
  private lastTimes = threadTimes();
  private atReset = this.lastTimes;
  private worst: LoopDelayInfo['worstStall'] = null;

  /** resolutionMs: how often the samplers fire (Node's default is 10). */
  constructor(private readonly resolutionMs = 10) {
    this.h = monitorEventLoopDelay({ resolution: resolutionMs });
    this.h.enable();
    if (this.lastTimes) {
      this.sampler = setInterval(() => this.sample(), resolutionMs);
      this.sampler.unref();
    }
  }

  private sample(): void {
    const now = performance.now();
    const times = threadTimes();
    const late = now - this.last - this.resolutionMs;
    if (times && this.lastTimes && late > (this.worst?.lateMs ?? 0)) {
      const cpu = times[0] - this.lastTimes[0];
      const wait = times[1] - this.lastTimes[1];
      // The window is a period longer than the stall; that period may be ordinary sleep in the
      // poll, so only what exceeds it counts as blocked.
      this.worst = { lateMs: round(late), cpuMs: round(cpu), waitMs: round(wait), blockedMs: round(Math.max(0, late - cpu - wait)), at: new Date().toISOString() };
    }
    this.last = now;
    this.lastTimes = times;
  }

  /** Node records the time between two firings of its sampling timer, period included: the
   *  delay is what exceeds the period. */
  private ms(ns: number): number {
    return round(Math.max(0, ns / 1e6 - this.resolutionMs));
  }

  summary(): LoopDelaySummary {
    const n = this.h.count;
    const now = threadTimes();
    return {
      p50Ms: n ? this.ms(this.h.percentile(50)) : null,
      p99Ms: n ? this.ms(this.h.percentile(99)) : null,
      maxMs: n ? this.ms(this.h.max) : null,
      meanMs: n ? this.ms(this.h.mean) : null,
      samples: n,
      sinceMs: Date.now() - this.since,
      mainThread: now && this.atReset ? { cpuMs: round(now[0] - this.atReset[0]), waitMs: round(now[1] - this.atReset[1]) } : null,
      worstStall: this.worst,
    };
  }

  reset(): void {
    this.h.reset();
    this.since = Date.now();
    this.atReset = threadTimes();
    this.worst = null;
  }

  stop(): void {
    this.h.disable();
    if (this.sampler) clearInterval(this.sampler);
  }
}
