// Docker's -v/--volume HOST:CONTAINER[:ro|rw] and --tmpfs PATH[:OPTIONS] as OCI mounts.
//
// Why the checks here and not only in engine-init: a bad volume must be a one-line error naming
// the flag, found before anything is made (no container, no mount point, no overlay directory).
// engine-init resolves the same destinations again with RESOLVE_BENEATH (compile.ts
// strictDestinations), so a link swapped in between is refused there too.
//
// A destination is resolved inside the rootfs, never on the host: its symlinks are read with
// lstat/readlink under the rootfs and must stay beneath it. An absolute link, or one whose ".."
// climbs above the rootfs, would lead out if followed on the host, so it is refused, as
// RESOLVE_BENEATH refuses it.

import fs from 'node:fs';
import path from 'node:path';
import { invalid } from '../errors.js';
import type { Mount } from './config.js';

const MAX_SYMLINKS = 40;

export interface UserMounts {
  mounts: Mount[];
  /** destinations engine-init must resolve with RESOLVE_BENEATH */
  destinations: Set<string>;
}

function destination(flag: string, given: string): string {
  if (!given.startsWith('/')) throw invalid(`${flag}: the container path ${JSON.stringify(given)} must be absolute`);
  const dest = path.posix.normalize(given).replace(/(.)\/$/, '$1');
  if (dest === '/') throw invalid(`${flag}: cannot mount over the container's root (/)`);
  if (dest.split('/').includes('..')) throw invalid(`${flag}: the container path ${given} must not contain ".."`);
  return dest;
}

/** -v HOST:CONTAINER[:ro|rw]: HOST must exist (absolute: the client resolves it). */
export function parseVolume(spec: string): Mount {
  const flag = `-v ${spec}`;
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || parts[0] === '' || parts[1] === '') throw invalid(`${flag}: expected HOST:CONTAINER[:ro|rw]`);
  const [host, container, mode = 'rw'] = parts;
  if (mode !== 'ro' && mode !== 'rw') throw invalid(`${flag}: unknown option ${JSON.stringify(mode)} (ro or rw)`);
  if (!host.startsWith('/')) throw invalid(`${flag}: the host path must be absolute (named volumes are not supported)`);
  try {
    fs.statSync(host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalid(`${flag}: the host path ${host} ${code === 'ENOENT' ? 'does not exist' : `cannot be used (${code ?? (err as Error).message})`}`);
  }
  // rro: read-only all the way down, the mounts under HOST too (mount_setattr AT_RECURSIVE).
  return { destination: destination(flag, container), type: 'bind', source: host, options: ['rbind', 'rprivate', ...(mode === 'ro' ? ['rro'] : [])] };
}

const TMPFS_SWITCHES = new Set(['ro', 'rw', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'atime', 'noatime', 'relatime', 'strictatime']);

/** --tmpfs PATH[:size=N,mode=OCTAL,uid=N,gid=N,nr_inodes=N,noexec,...] */
export function parseTmpfs(spec: string): Mount {
  const flag = `--tmpfs ${spec}`;
  const colon = spec.indexOf(':');
  const dest = destination(flag, colon < 0 ? spec : spec.slice(0, colon));
  const given = colon < 0 ? [] : spec.slice(colon + 1).split(',').filter((o) => o !== '');
  const options = ['nosuid', 'nodev'];
  let mode = 'mode=1777';
  for (const o of given) {
    const [key, value] = o.includes('=') ? [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)] : [o, undefined];
    if (value === undefined && TMPFS_SWITCHES.has(key)) options.push(key);
    else if ((key === 'size' || key === 'nr_inodes') && value !== undefined && /^\d+[kKmMgG%]?$/.test(value) && !/^0+[kKmMgG%]?$/.test(value)) options.push(o);
    else if (key === 'mode' && value !== undefined && /^[0-7]{1,4}$/.test(value)) mode = o;
    else if ((key === 'uid' || key === 'gid') && value !== undefined && /^\d{1,10}$/.test(value)) options.push(o);
    else throw invalid(`${flag}: unknown or malformed option ${JSON.stringify(o)} (size=N[k|m|g|%], mode=OCTAL, uid=N, gid=N, nr_inodes=N, ro, noexec, ...)`);
  }
  return { destination: dest, type: 'tmpfs', source: 'tmpfs', options: [...options, mode] };
}

/**
 * Throws unless `dest` (absolute, normalized) can be reached from `rootfs` without a symlink that
 * leads out of it. What does not exist yet is fine: engine-init makes it, beneath the rootfs.
 */
export function checkBeneath(flag: string, rootfs: string, dest: string): void {
  const pending = dest.split('/').filter((p) => p !== '');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      if (done.length === 0) throw invalid(`${flag}: ${dest} leads out of the rootfs through a symbolic link`);
      done.pop();
      continue;
    }
    const host = path.join(rootfs, ...done, part);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(host);
    } catch {
      return; // missing from here on: made by engine-init, beneath the rootfs
    }
    if (!st.isSymbolicLink()) {
      if (pending.length > 0 && !st.isDirectory()) throw invalid(`${flag}: /${[...done, part].join('/')} in the rootfs is not a directory`);
      done.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw invalid(`${flag}: ${dest}: too many levels of symbolic links`);
    const target = fs.readlinkSync(host);
    if (target.startsWith('/')) {
      throw invalid(`${flag}: /${[...done, part].join('/')} in the rootfs is a symbolic link to ${target}, which would lead out of the rootfs`);
    }
    pending.unshift(...target.split('/'));
  }
}

/** The mounts of -v and --tmpfs, parents before children, each destination checked in `rootfs`. */
export function userMounts(volumes: readonly string[], tmpfs: readonly string[], rootfs: string): UserMounts {
  const given = [...volumes.map((v) => ({ flag: `-v ${v}`, mount: parseVolume(v) })), ...tmpfs.map((t) => ({ flag: `--tmpfs ${t}`, mount: parseTmpfs(t) }))];
  const seen = new Map<string, string>();
  for (const { flag, mount } of given) {
    const other = seen.get(mount.destination);
    if (other) throw invalid(`${flag}: ${mount.destination} is already a mount point (${other})`);
    seen.set(mount.destination, flag);
    checkBeneath(flag, rootfs, mount.destination);
  }
  // A stable sort by depth: /data before /data/cache, whatever the order of the flags.
  const depth = (m: Mount) => m.destination.split('/').length;
  const mounts = given.map((g) => g.mount).sort((a, b) => depth(a) - depth(b));
  return { mounts, destinations: new Set(mounts.map((m) => m.destination)) };
}
