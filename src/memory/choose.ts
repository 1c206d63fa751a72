// Picks the memory enforcer for `engine supervisor --memory-enforcer auto|module|cgroup|none`.
//   auto   = the kernel module when /dev/container_monitor exists, else cgroup v2 when the memory
//            controller is in the unified hierarchy (the supervisor's cgroup.controllers lists it),
//            else cgroup v1 when the v1 memory controller is mounted, else none.
//   module / cgroup = that one or a one-line Error saying why not; none = no enforcement.
// The returned enforcer's kind and reason make the supervisor's start-up log line.

import fs from 'node:fs';
import { silentLogger, type Logger } from './cgroup-common.js';
import { createCgroupV1Enforcer, findV1 } from './cgroup-v1.js';
import { createCgroupV2Enforcer, findV2 } from './cgroup-v2.js';
import { createModuleEnforcer, MONITOR_DEVICE } from './module-enforcer.js';
import { NoneEnforcer } from './none-enforcer.js';
import type { MemoryEnforcer } from './types.js';

export type EnforcerOption = 'auto' | 'module' | 'cgroup' | 'none';

function oneLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}

/** Why cgroup v2 cannot serve, or null when it can. */
function v2Unavailable(): string | null {
  let loc;
  try {
    loc = findV2();
  } catch (err) {
    return `cgroup v2: ${oneLine(err)}`;
  }
  if (!loc) return 'no cgroup v2 hierarchy mounted';
  if (!loc.controllers.includes('memory')) return `cgroup v2 at ${loc.mountPoint} has no memory controller (offers: ${loc.controllers.join(' ') || 'none'})`;
  return null;
}

async function chooseCgroup(prefix: string, log: Logger): Promise<MemoryEnforcer> {
  const no2 = v2Unavailable();
  if (!no2) {
    const loc = findV2()!;
    try {
      return await createCgroupV2Enforcer(`${prefix}memory controller in the unified hierarchy; containers under ${loc.ownDir}`, log, loc);
    } catch (err) {
      throw new Error(`cgroup v2 memory controller unusable: ${oneLine(err)}`);
    }
  }
  const v1 = findV1();
  if (!v1) throw new Error(`no memory cgroup: ${no2}, and no cgroup v1 memory controller mounted`);
  try {
    return await createCgroupV1Enforcer(`${prefix}${no2}; cgroup v1 memory controller at ${v1.mountPoint}, containers under ${v1.ownDir}`, log, v1);
  } catch (err) {
    throw new Error(`cgroup v1 memory controller unusable: ${oneLine(err)}`);
  }
}

export async function chooseEnforcer(option: EnforcerOption, log: Logger = silentLogger): Promise<MemoryEnforcer> {
  switch (option) {
    case 'none':
      return new NoneEnforcer('--memory-enforcer none: limits are recorded, not enforced');
    case 'module':
      if (!fs.existsSync(MONITOR_DEVICE)) throw new Error(`--memory-enforcer module: ${MONITOR_DEVICE} does not exist (is monitor.ko loaded?)`);
      try {
        return await createModuleEnforcer(`--memory-enforcer module: ${MONITOR_DEVICE}`, log);
      } catch (err) {
        throw new Error(`--memory-enforcer module: ${oneLine(err)}`);
      }
    case 'cgroup':
      try {
        return await chooseCgroup('--memory-enforcer cgroup: ', log);
      } catch (err) {
        throw new Error(`--memory-enforcer cgroup: ${oneLine(err)}`);
      }
    case 'auto': {
      let why = `${MONITOR_DEVICE} absent`;
      if (fs.existsSync(MONITOR_DEVICE)) {
        try {
          return await createModuleEnforcer(`auto: ${MONITOR_DEVICE} present`, log);
        } catch (err) {
          why = `${MONITOR_DEVICE} present but unusable (${oneLine(err)})`;
          log.warn({ err: oneLine(err) }, 'kernel module enforcer unusable; trying memory cgroups');
        }
      }
      try {
        return await chooseCgroup(`auto: ${why}; `, log);
      } catch (err) {
        return new NoneEnforcer(`auto: ${why}; ${oneLine(err)}: limits are NOT enforced`);
      }
    }
    default:
      throw new Error(`unknown memory enforcer '${option as string}' (auto, module, cgroup, none)`);
  }
}
