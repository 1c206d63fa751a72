// ROOTFS rules of CONTRACT.md, checked in TypeScript before anything is made or touched:
//   - an existing directory, not the host's /;
//   - no overlap with what the supervisor relies on: a rootfs that CONTAINS the base template, the
//     supervisor's own files or a live container's rootfs would let its container change them, and
//     one INSIDE them would write into them (engine-init makes mount points, the command writes);
//   - it looks like a root filesystem: every mount point the container's spec needs at its top
//     (/proc, /dev, /sys; /tmp with --read-only) is already there, so engine-init creates nothing
//     in it and a start that fails leaves it as it was.
// Sameness is by device and inode of the directory and of each of its ancestors, after resolving
// links, so neither a symlink nor `..` gets around a rule.

import fs from 'node:fs';
import path from 'node:path';
import { conflict, invalid } from '../errors.js';
import type { Mount } from '../spec/config.js';

export interface ResolvedRootfs {
  path: string;
  /** "dev:ino" of the resolved directory */
  key: string;
  /** "dev:ino" of the directory, then of each ancestor up to / */
  chain: string[];
}

export function rootfsKey(st: fs.Stats): string {
  return `${st.dev}:${st.ino}`;
}

/** Keys of `real` (a path with no links) and of every ancestor, nearest first. */
export function ancestryKeys(real: string): string[] {
  const keys: string[] = [];
  for (let p = real; ; p = path.dirname(p)) {
    keys.push(rootfsKey(fs.statSync(p)));
    if (p === path.dirname(p)) return keys;
  }
}

export function resolveRootfs(given: string): ResolvedRootfs {
  let real: string;
  try {
    real = fs.realpathSync(given);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw invalid(`rootfs ${given} does not exist`);
    throw invalid(`rootfs ${given}: ${code ?? (err as Error).message}`);
  }
  const st = fs.statSync(real);
  if (!st.isDirectory()) throw invalid(`rootfs ${given} is not a directory`);
  if (rootfsKey(st) === rootfsKey(fs.statSync('/'))) throw invalid(`rootfs ${given} is the host's /: give a container its own root filesystem`);
  return { path: real, key: rootfsKey(st), chain: ancestryKeys(real) };
}

/**
 * Something a rootfs must keep clear of. `tree`: neither the place itself, an ancestor of it nor
 * anything inside it. `ancestors`: only the place itself and its ancestors are refused (a rootfs
 * inside the state directory, beside the supervisor's own files, cannot reach them).
 */
export interface Boundary {
  /** what it is, as the error names it: "the supervisor's base template" */
  what: string;
  path: string;
  key: string;
  chain: string[];
  scope: 'tree' | 'ancestors';
  /** what to do instead, added when the rootfs is the place itself */
  hint?: string;
}

/** A boundary for an existing path (links resolved), or null when there is nothing there yet. */
export function boundary(what: string, p: string, scope: Boundary['scope']): Boundary | null {
  try {
    const real = fs.realpathSync(p);
    const chain = ancestryKeys(real);
    return { what, path: real, key: chain[0], chain, scope };
  } catch {
    return null;
  }
}

/** The one-line refusal when `rootfs` overlaps `b`, else null. */
export function overlap(given: string, rootfs: ResolvedRootfs, b: Boundary): string | null {
  if (rootfs.key === b.key) return `rootfs ${given} is ${b.what}${b.path === given ? '' : ` (${b.path})`}${b.hint ? `; ${b.hint}` : ''}`;
  if (b.chain.includes(rootfs.key)) return `rootfs ${given} contains ${b.what} (${b.path}): its container could change it`;
  if (b.scope === 'tree' && rootfs.chain.includes(b.key)) return `rootfs ${given} is inside ${b.what} (${b.path}): its container would write into it`;
  return null;
}

/** Throws `conflict` naming the first boundary the rootfs overlaps. */
export function checkBoundaries(given: string, rootfs: ResolvedRootfs, boundaries: Iterable<Boundary>): void {
  for (const b of boundaries) {
    const refusal = overlap(given, rootfs, b);
    if (refusal) throw conflict(refusal);
  }
}

/**
 * The directories a spec's mounts need at the top of the rootfs: each mount not beneath an earlier
 * one (/dev/pts is made in the /dev tmpfs, /sys/fs/cgroup is in sysfs), every component of it.
 */
export function requiredMountPoints(mounts: readonly Mount[]): string[] {
  const needed: string[] = [];
  const done: string[] = [];
  for (const m of mounts) {
    const dest = path.posix.normalize(m.destination);
    if (done.some((d) => dest === d || dest.startsWith(d === '/' ? '/' : `${d}/`))) continue;
    done.push(dest);
    const parts = dest.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = `/${parts.slice(0, i).join('/')}`;
      if (!needed.includes(p)) needed.push(p);
    }
  }
  return needed;
}

/**
 * Throws `invalid_argument` unless every mount point the container needs is a directory (not a
 * link) in the rootfs: a directory that lacks them (an empty one, a state or log directory, a
 * subdirectory of another rootfs) is not a root filesystem, and is refused before anything is made.
 */
export function checkMountPoints(given: string, rootfs: string, mounts: readonly Mount[]): void {
  const missing: string[] = [];
  for (const p of requiredMountPoints(mounts)) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(rootfs, p));
    } catch {
      missing.push(p);
      continue;
    }
    if (st.isSymbolicLink()) throw invalid(`rootfs ${given}: ${p} is a symbolic link; a mount point must be a directory`);
    if (!st.isDirectory()) throw invalid(`rootfs ${given}: ${p} is not a directory; a mount point must be a directory`);
  }
  if (missing.length) {
    throw invalid(
      `rootfs ${given} does not look like a root filesystem: no ${missing.join(', ')} (a container needs its mount points ${requiredMountPoints(mounts).filter((p) => p.split('/').length === 2).join(', ')}; engine rootfs create DIR makes one)`,
    );
  }
}
