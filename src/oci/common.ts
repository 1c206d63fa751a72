// What most verbs start from: the container's stored state, its cgroup, its live status.

import { ContainerCgroup } from '../cgroups/container.js';
import { readState, statusOf, type Status, type StoredState } from './state.js';

export interface Loaded {
  state: StoredState;
  cgroup: ContainerCgroup;
  status: Status;
}

export function load(root: string, id: string): Loaded {
  const state = readState(root, id);
  const cgroup = new ContainerCgroup(state.cgroupPath);
  return { state, cgroup, status: statusOf(root, state, () => cgroup.frozen()) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
