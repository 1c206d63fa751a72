// What the isolation tests need from the host: a disk they may let a container at (a loop device
// over a file holding a marker: this VM refuses even root access to its own /dev/vda), the host's
// network interfaces, and the supervisor's cgroup directories.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dirsFor } from '../../src/cgroups/hierarchies.js';
import { devMajor, devMinor } from '../../src/security/host-devices.js';

export interface LoopDisk {
  /** /dev/loopN */
  path: string;
  major: number;
  minor: number;
  /** the bytes at offset 0 */
  marker: string;
  detach(): void;
}

/** A 1 MiB file starting with a marker, attached to a free loop device. */
export async function makeLoopDisk(dir: string): Promise<LoopDisk> {
  const file = path.join(dir, 'host-disk.img');
  const marker = `engine-host-disk-marker-${process.pid}`;
  const image = Buffer.alloc(1024 * 1024);
  image.write(marker);
  fs.writeFileSync(file, image);
  const dev = execFileSync('losetup', ['--find', '--show', file], { encoding: 'utf8' }).trim();
  const rdev = fs.statSync(dev, { bigint: true }).rdev;
  return {
    path: dev,
    major: devMajor(rdev),
    minor: devMinor(rdev),
    marker,
    detach: () => execFileSync('losetup', ['--detach', dev]),
  };
}

/** The host's network interfaces (its own network namespace). */
export function hostInterfaces(): string[] {
  return fs.readdirSync('/sys/class/net').sort();
}

/** probe's `security` lines ("CapEff 00000000a80425fb") as { CapEff: '00000000a80425fb', ... }. */
export function statusFields(lines: string[]): Record<string, string> {
  return Object.fromEntries(lines.map((l) => l.split(' ')).filter((kv) => kv.length === 2));
}

/**
 * Cgroup directories named `id` under the supervisor's own engine-<pid>.* directories, in every
 * hierarchy (memory enforcement, pids and devices each make one per container).
 */
export function containerCgroups(supervisorPid: number, id: string): string[] {
  const found: string[] = [];
  for (const { dir } of dirsFor('.', supervisorPid)) {
    const own = path.dirname(path.join(dir, 'x'));
    let entries: string[];
    try {
      entries = fs.readdirSync(own).filter((e) => e.startsWith(`engine-${supervisorPid}.`));
    } catch {
      continue;
    }
    for (const e of entries) if (fs.existsSync(path.join(own, e, id))) found.push(path.join(own, e, id));
  }
  return found;
}
