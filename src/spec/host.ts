// What this host can do, for the fields of a spec that depend on it (unsupported.ts).
//
// Why probed lazily and injectable: the answers come from /sys and cost a few stat calls, which
// `engine-oci create` should pay only when a spec actually asks for such a field; tests pass a
// fake host to check both answers on any machine.

import { existsSync, readFileSync, statfsSync } from 'node:fs';

export interface HostFeatures {
  /** SELinux is enabled (selinuxfs mounted). */
  selinux: boolean;
  /** AppArmor is enabled. */
  apparmor: boolean;
  /** /sys/fs/cgroup is a cgroup2 mount (unified hierarchy), not v1 controllers. */
  cgroup2: boolean;
  /** The cpu controller offers real-time group scheduling (CONFIG_RT_GROUP_SCHED). */
  cpuRealtime: boolean;
  /** The cpu controller offers cpu.idle (SCHED_IDLE groups, Linux >= 5.15). */
  cpuIdle: boolean;
}

const CGROUP2_SUPER_MAGIC = 0x63677270;

function readTrim(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function detect(): HostFeatures {
  let cgroup2 = false;
  try {
    cgroup2 = statfsSync('/sys/fs/cgroup').type === CGROUP2_SUPER_MAGIC;
  } catch {
    /* no cgroup fs at all: treat as v1, whose checks then fail on their own */
  }
  const cpuDir = cgroup2 ? '/sys/fs/cgroup' : '/sys/fs/cgroup/cpu';
  return {
    selinux: existsSync('/sys/fs/selinux/enforce'),
    apparmor: readTrim('/sys/module/apparmor/parameters/enabled') === 'Y',
    cgroup2,
    cpuRealtime: existsSync(`${cpuDir}/cpu.rt_runtime_us`),
    cpuIdle: existsSync(`${cpuDir}/cpu.idle`),
  };
}

let cached: HostFeatures | undefined;

/** This machine's features, probed once per process on first use. */
export function hostFeatures(): HostFeatures {
  return (cached ??= detect());
}
