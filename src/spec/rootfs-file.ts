// Reading a file inside a container's root filesystem from the host, as the container would see it.
//
// Why not readFileSync(rootfs + path): the rootfs belongs to whoever built it. An /etc/passwd that is
// a symlink to /etc/shadow (absolute, so meant inside the container) would make the supervisor, as
// host root, read the host's file; a FIFO there would hang it. So symlinks are resolved against the
// rootfs as the container's root (".." stops at it), the last step is opened with O_NOFOLLOW and
// O_NONBLOCK, and only a regular file of bounded size is read.

import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync } from 'node:fs';
import path from 'node:path';

const MAX_SYMLINKS = 40; // the kernel's own limit (ELOOP)
const MAX_BYTES = 4 << 20;

/** The host path of `inner` (absolute, container view) under `root`, symlinks resolved inside root. */
export function resolveInRoot(root: string, inner: string): string {
  const pending = inner.split('/').filter((p) => p !== '' && p !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = path.join(root, ...done, part);
    let st;
    try {
      st = lstatSync(host);
    } catch {
      done.push(part); // missing: the open below reports it
      continue;
    }
    if (!st.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw Object.assign(new Error(`${inner}: too many levels of symbolic links`), { code: 'ELOOP' });
    const target = readlinkSync(host);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return path.join(root, ...done);
}

/**
 * The contents of a regular file in the rootfs, or undefined if it does not exist. Throws (with
 * .code) when it exists but is not a readable regular file of at most 4 MiB.
 */
export function readRootfsFile(root: string, inner: string): string | undefined {
  const host = resolveInRoot(root, inner);
  let fd: number;
  try {
    fd = openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(`${inner} is not a regular file`), { code: 'EINVAL' });
    if (st.size > MAX_BYTES) throw Object.assign(new Error(`${inner} is larger than ${MAX_BYTES} bytes`), { code: 'EFBIG' });
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
