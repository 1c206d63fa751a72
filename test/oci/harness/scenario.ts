// Declares each scenario once per runtime, so runc and engine-oci run the same steps in the same
// lane. Titles read "RUNTIME › what is checked" (ava puts the file name first). A runtime that cannot pass a scenario on
// this host is marked with the reason: the scenario still runs for it, as an expected failure
// (ava's test.failing), so the difference stays visible and a fix shows up as a change.

import test, { type ExecutionContext } from 'ava';
import { laneEnv, type LaneEnv } from './lane-env.js';
import type { Runtime, RuntimeName } from './runtimes.js';

export interface ScenarioOptions {
  /** Runtimes expected to fail this scenario here, with the reason (shown in the title). */
  failsWith?: Partial<Record<RuntimeName, string>>;
}

export type Scenario = (title: string, fn: (t: ExecutionContext) => Promise<void>, opts?: ScenarioOptions) => void;

/** Calls `declare` once per runtime; scenarios are serial within a file, in declaration order. */
export function forEachRuntime(suite: string, declare: (scenario: Scenario, rt: Runtime, env: LaneEnv) => void): void {
  const env = laneEnv();
  for (const rt of env.runtimes) {
    const skip = env.skip ?? rt.skip;
    const scenario: Scenario = (title, fn, opts = {}) => {
      const name = `${rt.name} › ${title}`;
      const reason = opts.failsWith?.[rt.name];
      if (skip) test.skip(`${name} (skipped: ${skip})`, () => {});
      else if (reason) test.serial.failing(`${name} [expected to fail with ${rt.name}: ${reason}]`, fn);
      else test.serial(name, fn);
    };
    declare(scenario, rt, env);
  }
}

/** A container id unique in this lane run: runtime, scenario, a counter. */
let counter = 0;
export function containerId(rt: Runtime, what: string): string {
  return `${rt.name}-${what}-${process.pid}-${counter++}`;
}
