// Every device node of the host, for --privileged ("all host devices allowed and present").
//
// Why listed rather than bind-mounting /dev: the container keeps its own /dev tmpfs (with its own
// pts instance), and the spec stays one explicit list of nodes the runtime creates, as runc's
// HostDevices does for Docker. The cgroup side of "all" is a single allow-everything rule.

import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Device } from '../spec/config.js';

// Mounts of their own in a container's /dev, or tool state; runc skips the same ones.
const SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);
// The terminal and the pts multiplexer are the runtime's to provide.
const SKIP_NODES = new Set(['console', 'ptmx']);

const S_IFMT = 0o170000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

/** major/minor of a Linux dev_t (glibc's gnu_dev_major/minor). */
export function devMajor(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
}
export function devMinor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
}

/** A char or block device at `file` as a spec device (at `destination`), or undefined if not one. */
export function deviceAt(file: string, destination: string = file): Device | undefined {
  const st = lstatSync(file, { bigint: true });
  const kind = Number(st.mode) & S_IFMT;
  if (kind !== S_IFCHR && kind !== S_IFBLK) return undefined;
  return {
    type: kind === S_IFCHR ? 'c' : 'b',
    path: destination,
    major: devMajor(st.rdev),
    minor: devMinor(st.rdev),
    fileMode: Number(st.mode) & 0o7777,
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
}

/** All device nodes under `dir` (default /dev), sorted by path; symlinks are not followed. */
export function hostDevices(dir = '/dev'): Device[] {
  const out: Device[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return; // vanished or unreadable: a hot-plug race, not an error
    }
    for (const name of names) {
      const full = path.join(d, name);
      let st;
      try {
        st = lstatSync(full);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (!SKIP_DIRS.has(name)) walk(full);
      } else if ((st.isCharacterDevice() || st.isBlockDevice()) && !SKIP_NODES.has(name)) {
        const dev = deviceAt(full);
        if (dev) out.push(dev);
      }
    }
  };
  walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}
