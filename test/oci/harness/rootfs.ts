// Private copies of ./rootfs-base (busybox and the static workloads, built by `make`).

import fs from 'node:fs';
import path from 'node:path';
import { runOk } from './process.js';

/** `cp -a` (links, modes and owners as they are); resolves the new directory. */
export async function copyRootfs(base: string, dir: string): Promise<string> {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  await runOk('cp', ['-a', base, dir]);
  return dir;
}
