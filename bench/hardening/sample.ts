// What a supervisor holds, sampled from /proc, for the fuzzer and the soak: descriptors, threads,
// resident memory, unreaped children, mounts on the host under a directory, and the container
// cgroups under the supervisor's own (every hierarchy).

import fs from 'node:fs';
import path from 'node:path';
import { dirsFor } from '../../src/cgroups/hierarchies.js';
import { readMountinfo, readStat } from '../../src/proc/proc.js';

export interface ProcessSample {
  fds: number;
  threads: number;
  rssMiB: number;
  /** children in state Z (ended, not reaped) */
  zombies: number;
  /** host mount points under the watched directory (containers mount only in their own namespace) */
  mounts: number;
  /** cgroup directories below the supervisor's engine-<pid>.<start> in every hierarchy */
  cgroups: number;
}

export const SAMPLE_FIELDS: Array<keyof ProcessSample> = ['fds', 'threads', 'rssMiB', 'zombies', 'mounts', 'cgroups'];

function count(dir: string): number {
  try {
    return fs.readdirSync(dir).length;
  } catch {
    return 0;
  }
}

function status(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

function zombiesOf(pid: number): number {
  let n = 0;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = readStat(Number(d));
    if (st && st.ppid === pid && st.state === 'Z') n++;
  }
  return n;
}

function cgroupDirsBelow(dir: string): number {
  let n = 0;
  for (const e of safeDirents(dir)) {
    if (!e.isDirectory()) continue;
    n += 1 + cgroupDirsBelow(path.join(dir, e.name));
  }
  return n;
}

function safeDirents(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function containerCgroups(pid: number): number {
  const st = readStat(pid);
  if (!st) return 0;
  let n = 0;
  const seen = new Set<string>();
  for (const { dir } of dirsFor(`engine-${pid}.${st.startTicks}`, pid)) {
    if (seen.has(dir)) continue;
    seen.add(dir);
    n += cgroupDirsBelow(dir);
  }
  return n;
}

export function sampleProcess(pid: number, watchedDir: string): ProcessSample {
  const s = status(pid);
  const under = path.resolve(watchedDir) + '/';
  return {
    fds: count(`/proc/${pid}/fd`),
    threads: Number(s.Threads),
    rssMiB: Math.round((Number(s.VmRSS.replace(/\D/g, '')) / 1024) * 10) / 10,
    zombies: zombiesOf(pid),
    mounts: readMountinfo().filter((m) => m.mountPoint.startsWith(under)).length,
    cgroups: containerCgroups(pid),
  };
}
