// Operations on cgroupfs directories that every user of cgroups here shares: where a process's
// cgroup is under a mount, the tasks in one, killing them, and removing one whose last tasks are
// still exiting.

import fs from 'node:fs';
import path from 'node:path';
import type { MountEntry } from '../proc/proc.js';

/** Joins a mount point and a cgroup path taken relative to the mount's root. */
export function cgroupDir(mount: MountEntry, cgPath: string): string | null {
  let rel = cgPath;
  if (mount.root !== '/') {
    if (rel !== mount.root && !rel.startsWith(mount.root + '/')) return null;
    rel = rel.slice(mount.root.length);
  }
  return path.join(mount.mountPoint, rel);
}

export function procsOf(dir: string): number[] {
  try {
    return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * rmdir a cgroup, retrying on EBUSY while its last tasks finish exiting; after killAfterMs, the
 * tasks still inside are SIGKILLed (they are ours: a container's leftovers). True when it is gone.
 */
export async function removeCgroup(dir: string, opts: { timeoutMs?: number; killAfterMs?: number } = {}): Promise<boolean> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const killAfterMs = opts.killAfterMs ?? 1000;
  const t0 = Date.now();
  let delay = 2;
  for (;;) {
    try {
      // children first (a container never makes its own, but a crashed run might leave some)
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await removeCgroup(path.join(dir, e.name), { timeoutMs: Math.max(0, timeoutMs - (Date.now() - t0)), killAfterMs: 0 });
      }
      fs.rmdirSync(dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY' && code !== 'ENOTEMPTY') return false;
    }
    const elapsed = Date.now() - t0;
    if (elapsed >= timeoutMs) return false;
    if (elapsed >= killAfterMs) killAll(dir);
    await sleep(delay);
    delay = Math.min(delay * 2, 50);
  }
}

export function killAll(dir: string): void {
  try {
    fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
    return;
  } catch {
    /* v1, or v2 before 5.14: signal one by one */
  }
  for (const pid of procsOf(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

