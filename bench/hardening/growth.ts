// Growth, judged from two samples of the supervisor (sample.ts): counts that must come back to
// where they were (descriptors, threads, mounts, cgroups; no unreaped child), and resident memory
// that may move a little but must not climb.

import { sampleProcess, type ProcessSample } from './sample.js';

/**
 * Resident memory a run may add to the baseline: V8 grows its heap to the work it sees (its young
 * generation alone up to 32 MiB) and keeps it; that is a one-time step, not a leak.
 */
export const RSS_STEP_MIB = 48;
/** Resident memory the run's second part may add to its first: a leak keeps climbing. */
export const RSS_CLIMB_MIB = 16;

/**
 * What grew from before to after, one line each (empty: nothing). `settled` is a sample taken once
 * the run was under way (the heap at its working size): from there memory must not climb.
 */
export function growthProblems(before: ProcessSample, after: ProcessSample, settled?: ProcessSample): string[] {
  const out: string[] = [];
  for (const f of ['fds', 'threads', 'mounts', 'cgroups'] as const) {
    if (after[f] > before[f]) out.push(`${f} grew from ${before[f]} to ${after[f]}`);
  }
  if (after.zombies > 0) out.push(`${after.zombies} unreaped children`);
  if (after.rssMiB > before.rssMiB + RSS_STEP_MIB) out.push(`RSS grew from ${before.rssMiB} to ${after.rssMiB} MiB (more than ${RSS_STEP_MIB} MiB)`);
  if (settled && after.rssMiB > Math.max(before.rssMiB, settled.rssMiB) + RSS_CLIMB_MIB) {
    out.push(`RSS kept climbing: ${settled.rssMiB} MiB once under way, ${after.rssMiB} MiB at the end (more than ${RSS_CLIMB_MIB} MiB)`);
  }
  return out;
}

/**
 * A sample once the supervisor has settled: connections a run just closed take a moment to be
 * released. With a baseline, waits (up to timeoutMs) until nothing has grown; returns the last
 * sample either way, for the caller to judge.
 */
export async function sampleSettled(pid: number, watchedDir: string, baseline?: ProcessSample, timeoutMs = 15_000): Promise<ProcessSample> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = sampleProcess(pid, watchedDir);
    if (!baseline || growthProblems(baseline, s).length === 0 || Date.now() > until) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
}
