// What a suite may leave behind on the host, found from the host's side: cgroup directories
// under a parent, mounts under a directory, processes in a cgroup.

import fs from 'node:fs';
import path from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** Every mounted hierarchy: v1 controllers, name=systemd, and the hybrid cgroup2 (`unified`). */
export function cgroupHierarchies(): string[] {
  const seen = new Set<string>();
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!post) continue;
    const type = post.split(' ')[0];
    const mountPoint = pre.split(' ')[4];
    if ((type === 'cgroup' || type === 'cgroup2') && mountPoint.startsWith(CGROUP_ROOT)) seen.add(mountPoint);
  }
  return [...seen].sort();
}

/** Cgroup directories below `parent` (e.g. "/ocilane123-runc") in any hierarchy, deepest first. */
export function cgroupsUnder(parent: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name));
    found.push(dir);
  };
  for (const h of cgroupHierarchies()) {
    const top = path.join(h, parent);
    if (!fs.existsSync(top)) continue;
    for (const e of fs.readdirSync(top, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(top, e.name));
  }
  return found;
}

/** The same, including `parent` itself in each hierarchy (for the lane's teardown). */
export function cgroupTree(parent: string): string[] {
  return [...cgroupsUnder(parent), ...cgroupHierarchies().map((h) => path.join(h, parent)).filter((d) => fs.existsSync(d))];
}

/** A cgroup path (as in config.json) in every hierarchy where it exists. */
export function cgroupDirs(cgroupsPath: string): string[] {
  return cgroupHierarchies().map((h) => path.join(h, cgroupsPath)).filter((d) => fs.existsSync(d));
}

/** Pids in a cgroup directory (cgroup.procs). */
export function cgroupProcs(dir: string): number[] {
  try {
    return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** rmdir deepest first; returns what could not be removed, with the reason. */
export function removeCgroups(dirs: string[]): string[] {
  const failed: string[] = [];
  for (const d of dirs) {
    try {
      fs.rmdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') failed.push(`${d}: ${code}${code === 'EBUSY' ? ` (pids ${cgroupProcs(d).join(' ')})` : ''}`);
    }
  }
  return failed;
}

/** Mount points (in our mount namespace) at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(prefix)))
    .map((m) => m.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
}

/**
 * Live processes whose cgroup (any hierarchy) is at or below `parent`. Zombies are left out: a
 * killed container's init is reaped by whoever it was reparented to (the host's PID 1 for a
 * runtime driven directly), which can take a while on a loaded host, and is no runtime's doing.
 */
export function processesInCgroup(parent: string): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (/^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${d}/stat`, 'utf8'))) continue;
      const lines = fs.readFileSync(`/proc/${d}/cgroup`, 'utf8').split('\n');
      if (lines.some((l) => { const p = l.split(':')[2]; return p === parent || p?.startsWith(`${parent}/`); })) pids.push(Number(d));
    } catch { /* gone */ }
  }
  return pids;
}
