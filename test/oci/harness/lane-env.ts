// What the lane runner (lane.ts) set up and the scenarios use: one JSON file named by
// OCI_LANE_ENV. Scenario files read it; they never start or stop the shared daemons themselves.

import fs from 'node:fs';
import { knownRuntimes, type Runtime } from './runtimes.js';

export interface LaneEnv {
  /** Why the whole lane cannot run here (every scenario skips with it), or null. */
  skip: string | null;
  /** The lane's private directory: sockets, state roots, storage, bundles, logs. */
  dir: string;
  /** A short name unique to this lane run, used in containerd namespaces and cgroup parents. */
  tag: string;
  runtimes: Runtime[];
  rootfsBase: string;
  containerd: { address: string; log: string };
  podman: { env: Record<string, string>; globalArgs: string[]; image: string };
  tmuxSocket: string;
  /** The static pid-reuse helper (tools/pid_reuse.c). */
  pidReuseTool: string;
  /** Where the capture wrappers log each runtime call (capture mode), or null. */
  captureDir: string | null;
}

const NOT_IN_LANE = 'run through the oci lane: make test-lane-oci, or test/oci/run.sh';

let cached: LaneEnv | null = null;

export function laneEnv(): LaneEnv {
  if (cached) return cached;
  const file = process.env.OCI_LANE_ENV;
  if (!file || !fs.existsSync(file)) {
    cached = {
      skip: NOT_IN_LANE, dir: '', tag: '', runtimes: knownRuntimes(), rootfsBase: '',
      containerd: { address: '', log: '' }, podman: { env: {}, globalArgs: [], image: '' },
      tmuxSocket: '', pidReuseTool: '', captureDir: null,
    };
  } else {
    cached = JSON.parse(fs.readFileSync(file, 'utf8')) as LaneEnv;
  }
  return cached;
}
