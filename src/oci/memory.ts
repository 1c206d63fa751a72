// engine's own memory limits for OCI containers: the annotations engine.memory.soft-mib and
// engine.memory.hard-mib. Where the kernel module is loaded (/dev/container_monitor) the container's
// init is registered with it, as `engine start` does: a soft warning in the kernel log, a kill at
// the hard limit. Without it, hard-mib becomes the cgroup's memory limit when the spec sets none
// (resources.memory is applied through cgroups either way, as runc does).

import type { ContainerCgroup } from '../cgroups/container.js';
import { ModuleDevice, moduleDevicePresent } from '../memory/module-device.js';
import type { RuntimeSpec } from '../spec/config.js';

const MIB = 1024 * 1024;
export const SOFT_ANNOTATION = 'engine.memory.soft-mib';
export const HARD_ANNOTATION = 'engine.memory.hard-mib';

function mib(spec: RuntimeSpec, key: string): number | undefined {
  const v = spec.annotations?.[key];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`annotation ${key}: a positive whole number of MiB (got ${JSON.stringify(v)})`);
  return Number(v);
}

/** Before the container exists (pid null): the cgroup fallback. With its pid: the module. */
export function registerMemoryAnnotations(spec: RuntimeSpec, cgroup: ContainerCgroup, pid: number | null): void {
  const hard = mib(spec, HARD_ANNOTATION);
  const soft = mib(spec, SOFT_ANNOTATION);
  if (hard === undefined && soft === undefined) return;
  if (soft !== undefined && hard !== undefined && soft > hard) throw new Error(`annotation ${SOFT_ANNOTATION} (${soft}) is above ${HARD_ANNOTATION} (${hard})`);
  const module = moduleDevicePresent();
  if (pid === null) {
    if (!module && hard !== undefined && spec.linux?.resources?.memory?.limit === undefined) {
      cgroup.apply({ memory: { limit: hard * MIB, swap: hard * MIB } });
    }
    return;
  }
  if (!module) return;
  const dev = ModuleDevice.open();
  try {
    const id = (spec.hostname || 'oci').slice(0, 63);
    dev.register(pid, (soft ?? hard!) * MIB, (hard ?? soft!) * MIB, id);
  } finally {
    dev.close();
  }
}
