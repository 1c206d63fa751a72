// The few /proc files the runtime reads, parsed in one place: mountinfo (mount points, cgroup
// hierarchies, leftovers to avoid), /proc/<pid>/cgroup (where a process's cgroups are), and
// /proc/<pid>/stat (state, parent, CPU times and the start time that tells a live process from
// one that reused its pid). Benches and tests read the same way through this module.

import fs from 'node:fs';

export type Pid = number | 'self';

/** One line of /proc/<pid>/mountinfo (proc(5)). Paths are unescaped. */
export interface MountEntry {
  mountId: number;
  parentId: number;
  /** "major:minor" of the filesystem */
  device: string;
  /** the directory of the filesystem mounted here (a bind mount's subdirectory) */
  root: string;
  mountPoint: string;
  options: string[];
  fsType: string;
  source: string;
  superOptions: string[];
}

/** The kernel writes space, tab, newline and backslash in mountinfo paths as \ooo. */
export function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const l = line.slice(0, sep).split(' ');
    const r = line.slice(sep + 3).split(' ');
    if (l.length < 6) continue;
    out.push({
      mountId: Number(l[0]),
      parentId: Number(l[1]),
      device: l[2],
      root: unescapeMountPath(l[3]),
      mountPoint: unescapeMountPath(l[4]),
      options: l[5].split(','),
      fsType: r[0],
      source: unescapeMountPath(r[1] ?? ''),
      superOptions: (r[2] ?? '').split(','),
    });
  }
  return out;
}

export function readMountinfo(pid: Pid = 'self'): MountEntry[] {
  return parseMountinfo(fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
}

export async function readMountinfoAsync(pid: Pid = 'self'): Promise<MountEntry[]> {
  return parseMountinfo(await fs.promises.readFile(`/proc/${pid}/mountinfo`, 'utf8'));
}

/** Mount points at or below dir. */
export function mountsUnder(mounts: MountEntry[], dir: string): string[] {
  return mounts.map((m) => m.mountPoint).filter((m) => m === dir || m.startsWith(dir + '/'));
}

/** One line of /proc/<pid>/cgroup: hierarchy id, controller list ([] for the v2 hierarchy), path. */
export interface CgroupLine {
  id: string;
  controllers: string[];
  path: string;
}

export function parseCgroupLines(text: string): CgroupLine[] {
  const out: CgroupLine[] = [];
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const ctl = line.slice(a + 1, b);
    out.push({ id: line.slice(0, a), controllers: ctl ? ctl.split(',') : [], path: line.slice(b + 1) });
  }
  return out;
}

export function readCgroupLines(pid: Pid = 'self'): CgroupLine[] {
  return parseCgroupLines(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
}

/** The fields of /proc/<pid>/stat the runtime uses (times in clock ticks). */
export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z, T, ... */
  state: string;
  ppid: number;
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  /** clock ticks since boot, as the kernel wrote it (a string: compared, never computed with) */
  startTicks: string;
}

export function parseStat(text: string): ProcStat | null {
  // comm may hold spaces and parentheses: it ends at the LAST ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const f = text.slice(close + 2).split(' '); // f[0] is field 3 (state)
  if (f.length < 20) return null;
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: f[0],
    ppid: Number(f[1]),
    utime: Number(f[11]),
    stime: Number(f[12]),
    cutime: Number(f[13]),
    cstime: Number(f[14]),
    startTicks: f[19],
  };
}

/** /proc/<pid>/stat, or null when the process does not exist. */
export function readStat(pid: Pid): ProcStat | null {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** The start time of a process (field 22), or null when it does not exist. */
export function processStartTicks(pid: Pid): string | null {
  return readStat(pid)?.startTicks ?? null;
}

/** Whether pid names a live process (not a zombie) that started at startTicks, when given. */
export function processAlive(pid: number, startTicks?: string): boolean {
  const st = readStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return startTicks === undefined || st.startTicks === startTicks;
}

/** `Key:\tvalue` lines of /proc/<pid>/status, or null when the process does not exist. */
export function readStatus(pid: Pid): Record<string, string> | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}
