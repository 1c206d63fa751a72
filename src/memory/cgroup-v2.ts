// Memory enforcement through the cgroup v2 memory controller.
//   hard: memory.max, memory.swap.max = 0 (no swapping around the limit), memory.oom.group = 1 (an
//         OOM kill takes the whole container, as its init's death would anyway). memory.events'
//         "oom_kill N" going above 0 is the proof that the enforcer killed.
//   soft: memory.peak (high-water mark, kernel >= 5.19; memory.current before that) polled every
//         50 ms: a warning event only. memory.high is NOT used: it throttles.
// The v2 "no internal processes" rule: a non-root cgroup that holds processes cannot enable the
// memory controller for children. When enabling it fails with EBUSY and the supervisor is the only
// task of its own cgroup, the supervisor moves itself to a leaf child engine-<pid>.sup and retries;
// with other tasks there, the enforcer is unavailable and says why.

import fs from 'node:fs';
import path from 'node:path';
import { CgroupEnforcer, cgroupDir, keyedValue, procsOf, readNumber, readPolled, readText, type CgroupBackend, type Logger } from './cgroup-common.js';
import { readCgroupLines, readMountinfo } from '../proc/proc.js';
import type { MemoryLimits } from './types.js';

export interface V2Location {
  mountPoint: string;
  ownDir: string;
  /** Controllers available to the supervisor's cgroup (its cgroup.controllers). */
  controllers: string[];
}

/** The unified hierarchy and the supervisor's cgroup in it (whatever its controllers), or null. */
export function findV2(): V2Location | null {
  const mounts = readMountinfo().filter((m) => m.fsType === 'cgroup2');
  const line = readCgroupLines().find((l) => l.id === '0' && l.controllers.length === 0);
  if (!line || mounts.length === 0) return null;
  for (const m of mounts) {
    const own = cgroupDir(m, line.path);
    if (!own) continue;
    try {
      const controllers = readText(path.join(own, 'cgroup.controllers')).trim().split(/\s+/).filter(Boolean);
      return { mountPoint: m.mountPoint, ownDir: own, controllers };
    } catch {
      /* not this mount */
    }
  }
  return null;
}

function enableMemory(dir: string): void {
  const sc = path.join(dir, 'cgroup.subtree_control');
  if (readText(sc).split(/\s+/).includes('memory')) return;
  fs.writeFileSync(sc, '+memory');
}

export class CgroupV2Backend implements CgroupBackend {
  readonly kind = 'cgroup-v2' as const;
  readonly kernelKillsGroup = true;
  private readonly isRoot: boolean;
  constructor(
    readonly ownDir: string,
    readonly mountPoint: string,
  ) {
    this.isRoot = path.resolve(ownDir) === path.resolve(mountPoint);
  }

  prepareParent(dir: string): void {
    try {
      enableMemory(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || this.isRoot || dir !== this.ownDir) throw err;
      // processes in our own cgroup block it: move the supervisor out to a leaf if it is alone
      const others = procsOf(dir).filter((p) => p !== process.pid);
      if (others.length > 0)
        throw new Error(`cannot enable the memory controller under ${dir}: it holds other processes (${others.slice(0, 5).join(' ')}); start the supervisor in a cgroup of its own`);
      const leaf = path.join(dir, `engine-${process.pid}.sup`);
      fs.mkdirSync(leaf, { recursive: true });
      fs.writeFileSync(path.join(leaf, 'cgroup.procs'), String(process.pid));
      enableMemory(dir);
    }
  }

  setLimits(dir: string, limits: MemoryLimits): void {
    fs.writeFileSync(path.join(dir, 'memory.max'), String(limits.hardBytes));
    for (const [file, value] of [
      ['memory.swap.max', '0'],
      ['memory.oom.group', '1'],
    ]) {
      try {
        fs.writeFileSync(path.join(dir, file), value);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // no swap accounting: nothing to limit
      }
    }
  }

  peakBytes(dir: string): number {
    try {
      return Number(readPolled(path.join(dir, 'memory.peak')).trim());
    } catch {
      return Number(readPolled(path.join(dir, 'memory.current')).trim()); // kernels before 5.19
    }
  }

  oomKills(dir: string): number {
    return keyedValue(readPolled(path.join(dir, 'memory.events')), 'oom_kill');
  }

  describe(): string {
    return `cgroup v2 memory controller, parent ${this.ownDir}`;
  }
}

export async function createCgroupV2Enforcer(reason: string, log?: Logger, loc: V2Location | null = findV2()): Promise<CgroupEnforcer> {
  if (!loc) throw new Error('no cgroup v2 hierarchy');
  if (!loc.controllers.includes('memory'))
    throw new Error(`the memory controller is not available in cgroup v2 at ${loc.ownDir} (controllers: ${loc.controllers.join(' ') || 'none'})`);
  const e = new CgroupEnforcer(new CgroupV2Backend(loc.ownDir, loc.mountPoint), reason, log);
  await e.init();
  return e;
}
