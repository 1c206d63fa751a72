// Where the cgroup controllers are on this machine. Two layouts exist: cgroup v2 alone (one
// unified tree at /sys/fs/cgroup), and cgroup v1 (one tree per controller or group of controllers,
// /sys/fs/cgroup/memory, /sys/fs/cgroup/cpu,cpuacct, ...), possibly beside a v2 tree that holds
// no controller a container needs (this project's hosts: "hybrid"). A hybrid host is driven as v1.

import fs from 'node:fs';
import { readCgroupLines, readMountinfo, type Pid } from '../proc/proc.js';
import { cgroupDir } from './fs.js';

export interface V1Hierarchy {
  /** the controllers mounted together here, e.g. ['cpu', 'cpuacct'] */
  controllers: string[];
  mountPoint: string;
  /** the mount's root inside the hierarchy (not '/' inside a cgroup namespace) */
  root: string;
}

export type Layout = { version: 1; hierarchies: V1Hierarchy[] } | { version: 2; mountPoint: string; root: string; controllers: string[] };

/** The controllers a container's resources use, in the order they are applied. */
export const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'devices', 'freezer', 'blkio', 'hugetlb', 'net_cls', 'net_prio', 'perf_event'] as const;

/** On v1, the pseudo-controller of a hybrid host's cgroup2 tree (line "0::" in /proc/PID/cgroup). */
export const UNIFIED = 'unified';

let cached: Layout | null = null;

export function cgroupLayout(): Layout {
  if (cached) return cached;
  const mounts = readMountinfo();
  const v1 = mounts
    .filter((m) => m.fsType === 'cgroup')
    // A named hierarchy (name=systemd) has no controller, but runc puts containers there too.
    .map((m) => ({ controllers: m.superOptions.filter((o) => (V1_CONTROLLERS as readonly string[]).includes(o) || o.startsWith('name=')), mountPoint: m.mountPoint, root: m.root }))
    .filter((h) => h.controllers.length > 0);
  // The same hierarchy can be mounted twice (bind mounts): keep the first of each controller set.
  const seen = new Set<string>();
  const hierarchies = v1.filter((h) => {
    const key = h.controllers.join(',');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (hierarchies.some((h) => h.controllers.some((c) => !c.startsWith('name=')))) {
    // A hybrid host's cgroup2 tree holds no controller, but runc puts containers there too.
    const unified = mounts.find((m) => m.fsType === 'cgroup2');
    if (unified) hierarchies.push({ controllers: [UNIFIED], mountPoint: unified.mountPoint, root: unified.root });
    cached = { version: 1, hierarchies };
    return cached;
  }
  const unified = mounts.find((m) => m.fsType === 'cgroup2');
  if (!unified) throw new Error('no cgroup hierarchy is mounted (neither cgroup v1 controllers nor cgroup2)');
  let controllers: string[] = [];
  try {
    controllers = fs.readFileSync(`${unified.mountPoint}/cgroup.controllers`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    /* an empty list */
  }
  cached = { version: 2, mountPoint: unified.mountPoint, root: unified.root, controllers };
  return cached;
}

/** Forget the layout (tests, or a machine whose mounts changed). */
export function resetLayout(layout: Layout | null = null): void {
  cached = layout;
}

/**
 * Each hierarchy's directory for a cgroup path. An absolute path is taken from the hierarchy's
 * root (runc's cgroupsPath "/kubepods/pod1/ctr"); a relative one from `pid`'s own cgroup there
 * (the supervisor nests its containers under itself).
 */
export function dirsFor(cgPath: string, pid: Pid = 'self'): Array<{ controllers: string[]; dir: string }> {
  const layout = cgroupLayout();
  const own = cgPath.startsWith('/') ? null : readCgroupLines(pid);
  const under = (mountPoint: string, root: string, ownPath: string | undefined) => {
    if (cgPath.startsWith('/')) return cgroupDir({ mountPoint, root } as never, cgPath) ?? `${mountPoint}${cgPath}`;
    const base = cgroupDir({ mountPoint, root } as never, ownPath ?? '/') ?? mountPoint;
    return `${base}/${cgPath}`;
  };
  if (layout.version === 2) {
    const line = own?.find((l) => l.id === '0' && l.controllers.length === 0);
    return [{ controllers: layout.controllers, dir: under(layout.mountPoint, layout.root, line?.path) }];
  }
  return layout.hierarchies.map((h) => {
    const line = own?.find((l) => (h.controllers[0] === UNIFIED ? l.id === '0' : h.controllers.every((c) => l.controllers.includes(c))));
    return { controllers: h.controllers, dir: under(h.mountPoint, h.root, line?.path) };
  });
}
