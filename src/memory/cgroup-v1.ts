// Memory enforcement through the cgroup v1 memory controller.
//   hard: memory.limit_in_bytes, and memory.memsw.limit_in_bytes set to the same value where swap
//         accounting exists (no swapping around the limit; without it, memory.swappiness = 0).
//         At the limit the kernel reclaims, then the cgroup's OOM killer kills one task: memory.oom_control's
//         "oom_kill N" counter going above 0 is the proof that the enforcer killed. The enforcer then
//         SIGKILLs what is left of the container (v1 has no memory.oom.group).
//   soft: memory.max_usage_in_bytes (the cgroup's high-water mark, so spikes between two polls are
//         seen) polled every 50 ms: a warning event, never throttling. memory.soft_limit_in_bytes is
//         not used: it is a reclaim target, not a warning.

import fs from 'node:fs';
import path from 'node:path';
import { CgroupEnforcer, cgroupDir, keyedValue, readNumber, readPolled, type CgroupBackend, type Logger } from './cgroup-common.js';
import { readCgroupLines, readMountinfo } from '../proc/proc.js';
import type { MemoryLimits } from './types.js';

export interface V1Location {
  mountPoint: string;
  ownDir: string;
}

/** Where the v1 memory controller is mounted and the supervisor's own cgroup in it; null when absent. */
export function findV1(): V1Location | null {
  const mount = readMountinfo().find((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory'));
  if (!mount) return null;
  const line = readCgroupLines().find((l) => l.controllers.includes('memory'));
  if (!line) return null;
  const own = cgroupDir(mount, line.path);
  if (!own || !fs.existsSync(path.join(own, 'memory.limit_in_bytes'))) return null;
  return { mountPoint: mount.mountPoint, ownDir: own };
}

export class CgroupV1Backend implements CgroupBackend {
  readonly kind = 'cgroup-v1' as const;
  readonly kernelKillsGroup = false;
  constructor(readonly ownDir: string) {}

  prepareParent(dir: string): void {
    // children must be accounted in their parents too, so limits put on the supervisor hold
    try {
      if (readNumber(path.join(dir, 'memory.use_hierarchy')) !== 1) fs.writeFileSync(path.join(dir, 'memory.use_hierarchy'), '1');
    } catch {
      /* fixed to 1 on modern kernels; a parent that refuses keeps the kernel's default */
    }
  }

  setLimits(dir: string, limits: MemoryLimits): void {
    const hard = String(limits.hardBytes);
    const memsw = path.join(dir, 'memory.memsw.limit_in_bytes');
    const hasMemsw = fs.existsSync(memsw);
    // memsw must stay >= limit: a fresh cgroup has both unlimited, so lower the limit first
    fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), hard);
    if (hasMemsw) fs.writeFileSync(memsw, hard);
    else {
      try {
        fs.writeFileSync(path.join(dir, 'memory.swappiness'), '0');
      } catch {
        /* best effort */
      }
    }
    // the OOM killer must act (a host default of oom_kill_disable=1 would freeze the task instead)
    try {
      fs.writeFileSync(path.join(dir, 'memory.oom_control'), '0');
    } catch {
      /* best effort */
    }
  }

  peakBytes(dir: string): number {
    return Number(readPolled(path.join(dir, 'memory.max_usage_in_bytes')).trim());
  }

  oomKills(dir: string): number {
    return keyedValue(readPolled(path.join(dir, 'memory.oom_control')), 'oom_kill');
  }

  describe(): string {
    return `cgroup v1 memory controller, parent ${this.ownDir}`;
  }
}

/** Makes the v1 enforcer (cleans leftovers, creates the parent). Throws when v1 memory is absent. */
export async function createCgroupV1Enforcer(reason: string, log?: Logger, loc: V1Location | null = findV1()): Promise<CgroupEnforcer> {
  if (!loc) throw new Error('cgroup v1 memory controller is not mounted');
  const e = new CgroupEnforcer(new CgroupV1Backend(loc.ownDir), reason, log);
  await e.init();
  return e;
}
