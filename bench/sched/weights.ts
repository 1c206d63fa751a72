// The kernel's nice-to-weight table and the CPU shares it predicts for CPU-bound tasks.

/**
 * sched_prio_to_weight[40] from kernel/sched/core.c: the load weight of nice -20..19 (index nice+20).
 * nice 0 is 1024; each nice step is a factor of ~1.25, so one step is ~10% of CPU between two tasks.
 */
export const NICE_TO_WEIGHT: readonly number[] = Object.freeze([
  /* -20 */ 88761, 71755, 56483, 46273, 36291,
  /* -15 */ 29154, 23254, 18705, 14949, 11916,
  /* -10 */ 9548, 7620, 6100, 4904, 3906,
  /*  -5 */ 3121, 2501, 1991, 1586, 1277,
  /*   0 */ 1024, 820, 655, 526, 423,
  /*   5 */ 335, 272, 215, 172, 137,
  /*  10 */ 110, 87, 70, 56, 45,
  /*  15 */ 36, 29, 23, 18, 15,
]);

export const NICE_MIN = -20;
export const NICE_MAX = 19;

/** Load weight of a nice value (-20..19). */
export function niceToWeight(nice: number): number {
  if (!Number.isInteger(nice) || nice < NICE_MIN || nice > NICE_MAX) {
    throw new RangeError(`nice must be a whole number from ${NICE_MIN} to ${NICE_MAX}, got ${nice}`);
  }
  return NICE_TO_WEIGHT[nice + 20];
}

/**
 * Share of one CPU each task gets when all of them are CPU-bound and runnable on that CPU and
 * compete by weight (same session, or one autogroup each with the autogroup nice = the task's
 * nice): weight_i / sum of weights. Fractions that add up to 1.
 */
export function predictedShare(nices: readonly number[]): number[] {
  if (nices.length === 0) return [];
  const w = nices.map(niceToWeight);
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

/** Predicted CPU ratio of a task at nice `a` to one at nice `b` (weight a / weight b). */
export function predictedRatio(a: number, b: number): number {
  return niceToWeight(a) / niceToWeight(b);
}
