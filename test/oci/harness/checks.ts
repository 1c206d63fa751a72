// End-of-suite checks: what a suite's containers left on the host, seen from outside.

import fs from 'node:fs';
import path from 'node:path';
import type { Ctr } from './containerd.js';
import { cgroupProcs, cgroupsUnder, mountsUnder, processesInCgroup } from './leftovers.js';
import type { Podman } from './podman.js';
import { run } from './process.js';

/** containerd suites: the runtime's state root (ours, via --runc-root), cgroups, mounts, processes. */
export function ctrLeftovers(ctr: Ctr): string[] {
  const problems: string[] = [];
  const state = fs.existsSync(ctr.stateRoot) ? fs.readdirSync(ctr.stateRoot) : [];
  if (state.length) problems.push(`state root ${ctr.stateRoot} still holds: ${state.join(' ')}`);
  for (const d of cgroupsUnder(ctr.cgroupParent())) problems.push(`cgroup left: ${d}`);
  for (const pid of processesInCgroup(ctr.cgroupParent())) problems.push(`process left in a container cgroup: ${pid}`);
  for (const m of mountsUnder(ctr.rootfsDir)) problems.push(`mount left: ${m}`);
  return problems;
}

/**
 * podman suites: podman calls the runtime without --root, so its state is in the runtime's default
 * root; each container id of the suite must be unknown to `RUNTIME state`. Cgroups under the
 * suite's parent: only podman's own (empty) `conmon` cgroup may stay. No mount names an id.
 */
export async function podmanLeftovers(p: Podman): Promise<string[]> {
  const problems: string[] = [];
  const ids = p.containerIds();
  const listed = (await p.podman(['ps', '-a', '--no-trunc', '--format', '{{.ID}}'])).stdout.split('\n');
  for (const id of ids) {
    if (listed.includes(id)) problems.push(`podman still lists ${id}`);
    const st = await run(p.rt.path, ['state', id], { timeoutMs: 30_000 });
    if (st.code === 0) problems.push(`${p.rt.name} state ${id.slice(0, 12)} still answers: ${st.stdout.replace(/\s+/g, ' ').slice(0, 200)}`);
  }
  for (const d of cgroupsUnder(p.cgroupParent)) {
    if (path.basename(d) === 'conmon' && cgroupProcs(d).length === 0) continue;
    problems.push(`cgroup left: ${d}`);
  }
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
  for (const id of ids) for (const m of mounts.filter((m) => m.includes(id))) problems.push(`mount left: ${m}`);
  return problems;
}
