// ROOTFS rules of CONTRACT.md: an existing directory, not the host's /, one live container at a
// time, sameness by device and inode after resolving links.

import fs from 'node:fs';
import { invalid } from '../errors.js';

export interface ResolvedRootfs {
  path: string;
  /** "dev:ino" of the resolved directory */
  key: string;
}

export function rootfsKey(st: fs.Stats): string {
  return `${st.dev}:${st.ino}`;
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
  return { path: real, key: rootfsKey(st) };
}
