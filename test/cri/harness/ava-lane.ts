// Wires a CRI lane into an ava test file: one private containerd for the file, tests registered per
// runtime handler (skipped with their reason in the title), and a last test that stops everything
// and asserts nothing is left behind.

import type { ExecutionContext, TestFn } from 'ava';
import { until } from '../../support/process.js';
import { CriLane } from './lane.js';
import { HANDLERS, laneSkipReason, type Handler } from './setup.js';

export interface LaneRef {
  readonly lane: CriLane;
}

/** Starts the file's lane before its tests and destroys it afterwards, whatever happened. */
export function useLane(test: TestFn, suite: string): LaneRef {
  let lane: CriLane | null = null;
  if (laneSkipReason) console.error(`test/cri/${suite}: skipped: ${laneSkipReason}`);
  test.before(async () => {
    if (!laneSkipReason) lane = await CriLane.start(suite);
  });
  test.after.always(async () => {
    await lane?.destroy();
  });
  return {
    get lane(): CriLane {
      if (!lane) throw new Error('the CRI lane did not start');
      return lane;
    },
  };
}

/** Registers one serial test per handler, titled "<handler>: <title>"; a handler that cannot run skips. */
export function forEachHandler(test: TestFn, title: string, fn: (t: ExecutionContext, h: Handler) => Promise<void>): void {
  for (const h of HANDLERS) {
    if (h.skip) test.serial.skip(`${h.name}: ${title} (skipped: ${h.skip})`, () => {});
    else test.serial(`${h.name}: ${title}`, (t) => fn(t, h));
  }
}

/** Registers one serial test for the lane as a whole; skipped with the reason when the lane cannot run. */
export function laneTest(test: TestFn, title: string, fn: (t: ExecutionContext) => Promise<void>): void {
  if (laneSkipReason) test.serial.skip(`${title} (skipped: ${laneSkipReason})`, () => {});
  else test.serial(title, fn);
}

/** The file's last test: the lane stops as a node would and must leave nothing behind. */
export function nothingLeftBehind(test: TestFn, ref: LaneRef): void {
  laneTest(test, 'nothing left behind: no process, mount, shim socket, pod cgroup or runtime state', async (t) => {
    const problems = await ref.lane.stop();
    t.deepEqual(problems, [], 'the orderly stop went wrong');
    // Shims exit shortly after containerd let them go (it does not wait for them): allow for that.
    await until('what the lane left to go away', () => ref.lane.leftovers().length === 0, 10_000).catch(() => {});
    t.deepEqual(ref.lane.leftovers(), []);
  });
}
