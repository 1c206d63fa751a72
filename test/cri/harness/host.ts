// What a CRI lane can leave on the host outside its own directory, and how to find and remove it:
// cgroup directories in every hierarchy, mounts, processes, containerd's shim sockets.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** containerd 1.6 puts every shim's socket here whatever its config says (not configurable). */
export const SHIM_SOCKET_DIR = '/run/containerd/s';

/**
 * The socket of the shim that serves a sandbox and its containers (containerd 1.6 runs one shim per
 * pod, named after the sandbox id): sha256 of "<containerd gRPC address>/<namespace>/<sandbox id>".
 */
export function shimSocketPath(grpcAddress: string, namespace: string, sandboxId: string): string {
  return path.join(SHIM_SOCKET_DIR, createHash('sha256').update(`${grpcAddress}/${namespace}/${sandboxId}`).digest('hex'));
}

/**
 * libcni, inside containerd's CRI plugin, caches each network's ADD result in <this>/results, in files
 * named <network>-<sandbox id>-<interface>, removed by DEL. containerd 1.6 offers no setting to move it.
 */
export const CNI_CACHE_DIR = '/var/lib/cni';

/** The CNI result cache files of a sandbox. */
export function cniCacheFiles(sandboxId: string): string[] {
  const dir = path.join(CNI_CACHE_DIR, 'results');
  try {
    return fs.readdirSync(dir).filter((f) => f.includes(`-${sandboxId}-`)).map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/** Mount points of every cgroup hierarchy (v1 controllers, named ones such as name=systemd, and cgroup2). */
export function cgroupMounts(): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fstype = right.split(' ')[0];
    if (fstype === 'cgroup' || fstype === 'cgroup2') out.push(unescapeMountPath(left.split(' ')[4]!));
  }
  return out;
}

/** The directories of a cgroup path (e.g. /kubepods/besteffort/pod<uid>) that exist, one per hierarchy. */
export function cgroupDirs(cgroupPath: string): string[] {
  // Never a hierarchy's root: callers kill what is in these directories and remove them.
  if (path.resolve('/', cgroupPath) === '/') throw new Error(`refusing the root cgroup (path ${JSON.stringify(cgroupPath)})`);
  return cgroupMounts()
    .map((m) => path.join(m, cgroupPath))
    .filter((d) => fs.existsSync(d));
}

/**
 * Removes a pod's cgroup directory in every hierarchy, as kubelet does once the pod is gone (the runtime
 * removes only the containers' own directories). Children first; a directory that still holds a process
 * stays (rmdir fails with EBUSY) and is returned.
 */
export function removeCgroupTree(cgroupPath: string): string[] {
  const left: string[] = [];
  for (const dir of cgroupDirs(cgroupPath)) {
    if (!rmdirTree(dir)) left.push(dir);
  }
  return left;
}

function rmdirTree(dir: string): boolean {
  let ok = true;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) ok = rmdirTree(path.join(dir, e.name)) && ok;
  }
  try {
    fs.rmdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') ok = false;
  }
  return ok;
}

/**
 * Removes cgroupPath's ancestors (e.g. /kubepods/besteffort, /kubepods) where they are empty, except
 * those in keep (the ones that existed before the lane: kubelet's, or another lane's).
 */
export function removeEmptyParents(cgroupPath: string, keep: ReadonlySet<string>): void {
  for (let p = path.dirname(cgroupPath); p !== '/' && p !== '.'; p = path.dirname(p)) {
    if (keep.has(p)) return;
    for (const dir of cgroupDirs(p)) {
      try {
        fs.rmdirSync(dir);
      } catch {
        /* not empty (another pod, another lane) or gone: leave it */
      }
    }
  }
}

/** Pids of the processes in a cgroup directory and its children. */
export function cgroupPids(dir: string): number[] {
  const pids: number[] = [];
  const walk = (d: string) => {
    try {
      for (const l of fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l) pids.push(Number(l));
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    } catch {
      /* gone meanwhile */
    }
  };
  walk(dir);
  return pids;
}

/** Mount points (in this process's mount namespace) at or under dir, deepest first. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => unescapeMountPath(l.split(' ')[4]!))
    .filter((m) => m === dir || m.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** A process's identity: pid plus start time, so a reused pid is not taken for the same process. */
export interface ProcessId {
  pid: number;
  start: string;
  what: string;
}

export function processId(pid: number, what: string): ProcessId | null {
  const start = startTime(pid);
  return start === null ? null : { pid, start, what };
}

function startTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 counted after the ")" that ends the command name (which may hold spaces).
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** True while the process exists and is not a zombie. */
export function stillRunning(p: ProcessId): boolean {
  if (startTime(p.pid) !== p.start) return false;
  try {
    const stat = fs.readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live processes (other than this one) whose command line mentions text. */
export function processesMentioning(text: string): Array<{ pid: number; cmdline: string }> {
  const out: Array<{ pid: number; cmdline: string }> = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (cmdline.includes(text)) out.push({ pid: Number(d), cmdline });
    } catch {
      /* gone */
    }
  }
  return out;
}
