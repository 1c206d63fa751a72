// How late the supervisor's event loop runs, measured by Node's own sampler
// (perf_hooks.monitorEventLoopDelay): every request, exit watch, stop timer and log stream waits
// behind whatever runs synchronously on the main thread, so this is the figure that says whether
// `ps` can answer during a stop's grace. `engine info` shows it; the supervisor logs it at shutdown.

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LoopDelaySummary {
  /** milliseconds; null until the first sample */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  meanMs: number | null;
  samples: number;
  /** since the supervisor started, or the last reset */
  sinceMs: number;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export class LoopDelay {
  private readonly h: IntervalHistogram;
  private since = Date.now();

  /** resolutionMs: how often the sampler's timer fires (Node's default is 10). */
  constructor(private readonly resolutionMs = 10) {
    this.h = monitorEventLoopDelay({ resolution: resolutionMs });
    this.h.enable();
  }

  /** Node records the time between two firings of its sampling timer, period included: the
   *  delay is what exceeds the period. */
  private ms(ns: number): number {
    return round(Math.max(0, ns / 1e6 - this.resolutionMs));
  }

  summary(): LoopDelaySummary {
    const n = this.h.count;
    return {
      p50Ms: n ? this.ms(this.h.percentile(50)) : null,
      p99Ms: n ? this.ms(this.h.percentile(99)) : null,
      maxMs: n ? this.ms(this.h.max) : null,
      meanMs: n ? this.ms(this.h.mean) : null,
      samples: n,
      sinceMs: Date.now() - this.since,
    };
  }

  reset(): void {
    this.h.reset();
    this.since = Date.now();
  }

  stop(): void {
    this.h.disable();
  }
}
