// Fields of a valid spec that this host or this runtime cannot honour. The runtime-spec lets a
// runtime refuse what it cannot do, and a silently ignored security or resource field is worse than
// an error (docs/oci.md: "Fields the host cannot honour must be an error, not silently ignored").
//
// This list is the one place to edit when the runtime learns something new: remove the entry.
// Each entry finds the offending field (a JSON path) in a parsed spec, or returns undefined; it
// looks at the host only when the spec uses the field, so most specs cost no probing at all.

import type { RuntimeSpec } from './config.js';
import type { HostFeatures } from './host.js';

export interface Unsupported {
  /** The JSON path of the offending field in this spec, or undefined when the spec does not use it. */
  find(spec: RuntimeSpec, host: HostFeatures): string | undefined;
  /** Why it cannot be honoured, for the error message. */
  reason(host: HostFeatures): string;
}

const nonEmpty = (v: unknown) =>
  v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && v !== null && Object.keys(v).length === 0);

export const UNSUPPORTED: readonly Unsupported[] = [
  {
    // podman sends a profile only where AppArmor is on; engine does not load or apply profiles.
    find: (s) => (nonEmpty(s.process?.apparmorProfile) ? 'process.apparmorProfile' : undefined),
    reason: (h) => (h.apparmor ? 'engine does not apply AppArmor profiles' : 'AppArmor is not enabled on this host'),
  },
  {
    find: (s) => (nonEmpty(s.process?.selinuxLabel) ? 'process.selinuxLabel' : nonEmpty(s.linux?.mountLabel) ? 'linux.mountLabel' : undefined),
    reason: (h) => (h.selinux ? 'engine does not apply SELinux labels' : 'SELinux is not enabled on this host'),
  },
  {
    // No resctrl filesystem here, and no code to manage CLOS groups.
    find: (s) => (s.linux?.intelRdt ? 'linux.intelRdt' : undefined),
    reason: () => 'Intel RDT (resctrl) is not supported by engine',
  },
  {
    // clone(2) cannot carry CLONE_NEWTIME (its bit is in the exit-signal byte): a time namespace
    // needs unshare + a write to /proc/self/timens_offsets before the first child; not done.
    find: (s) => {
      if (s.linux?.timeOffsets && nonEmpty(s.linux.timeOffsets)) return 'linux.timeOffsets';
      const i = s.linux?.namespaces?.findIndex((n) => n.type === 'time') ?? -1;
      return i >= 0 ? `linux.namespaces[${i}].type` : undefined;
    },
    reason: () => 'time namespaces are not supported by engine',
  },
  {
    // LINUX32 and flags such as ADDR_NO_RANDOMIZE would need personality(2) in the child, and a
    // 64-bit-only seccomp profile would then kill 32-bit programs: refused rather than half done.
    find: (s) => {
      const p = s.linux?.personality;
      if (!p) return undefined;
      if (p.domain !== 'LINUX') return 'linux.personality.domain';
      return nonEmpty(p.flags) ? 'linux.personality.flags' : undefined;
    },
    reason: () => 'only the LINUX personality without flags is supported',
  },
  {
    // SCMP_ACT_NOTIFY needs a seccomp agent listening at listenerPath; engine has none.
    find: (s) => {
      const sc = s.linux?.seccomp;
      if (!sc) return undefined;
      if (sc.listenerPath) return 'linux.seccomp.listenerPath';
      if (sc.defaultAction === 'SCMP_ACT_NOTIFY') return 'linux.seccomp.defaultAction';
      const i = sc.syscalls?.findIndex((c) => c.action === 'SCMP_ACT_NOTIFY') ?? -1;
      return i >= 0 ? `linux.seccomp.syscalls[${i}].action` : undefined;
    },
    reason: () => 'seccomp user notification (SCMP_ACT_NOTIFY, listenerPath) is not supported',
  },
  {
    // Idmapped mounts (mount_setattr with MOUNT_ATTR_IDMAP) are not implemented.
    find: (s) => {
      const i = s.mounts?.findIndex((m) => nonEmpty(m.uidMappings) || nonEmpty(m.gidMappings)) ?? -1;
      return i >= 0 ? `mounts[${i}].${nonEmpty(s.mounts![i].uidMappings) ? 'uidMappings' : 'gidMappings'}` : undefined;
    },
    reason: () => 'idmapped mounts are not supported',
  },
  {
    find: (s) => (nonEmpty(s.linux?.resources?.rdma) ? 'linux.resources.rdma' : undefined),
    reason: () => 'the rdma cgroup controller is not supported by engine',
  },
  {
    // On this kind of host hugetlb exists only in a cgroup2 mount beside the v1 controllers.
    find: (s) => (nonEmpty(s.linux?.resources?.hugepageLimits) ? 'linux.resources.hugepageLimits' : undefined),
    reason: () => 'hugetlb limits are not supported by engine',
  },
  {
    find: (s) => (nonEmpty(s.linux?.resources?.network) ? 'linux.resources.network' : undefined),
    reason: () => 'net_cls/net_prio limits are not supported by engine',
  },
  {
    find: (s, h) => (nonEmpty(s.linux?.resources?.unified) && !h.cgroup2 ? 'linux.resources.unified' : undefined),
    reason: () => 'cgroup v2 (unified) resources cannot be set on this cgroup v1 host',
  },
  {
    // Not yet implemented by the cgroup code (blkio is mounted here): remove when it is.
    find: (s) => (nonEmpty(s.linux?.resources?.blockIO) ? 'linux.resources.blockIO' : undefined),
    reason: () => 'block I/O limits are not supported by engine yet',
  },
  {
    // Deprecated by the spec; Linux 6.x removed memory.kmem.limit_in_bytes.
    find: (s) => {
      const m = s.linux?.resources?.memory;
      return m?.kernel !== undefined ? 'linux.resources.memory.kernel' : m?.kernelTCP !== undefined ? 'linux.resources.memory.kernelTCP' : undefined;
    },
    reason: () => 'kernel memory limits are not supported (deprecated, and gone from current kernels)',
  },
  {
    // memory.use_hierarchy is always 1 on current kernels; asking for 0 cannot be honoured.
    find: (s) => (s.linux?.resources?.memory?.useHierarchy === false ? 'linux.resources.memory.useHierarchy' : undefined),
    reason: () => 'the memory hierarchy cannot be turned off on current kernels',
  },
  {
    find: (s, h) => {
      const c = s.linux?.resources?.cpu;
      const field = c?.realtimeRuntime !== undefined ? 'realtimeRuntime' : c?.realtimePeriod !== undefined ? 'realtimePeriod' : undefined;
      return field && !h.cpuRealtime ? `linux.resources.cpu.${field}` : undefined;
    },
    reason: () => 'this kernel has no real-time group scheduling (CONFIG_RT_GROUP_SCHED)',
  },
  {
    find: (s, h) => (s.linux?.resources?.cpu?.idle && !h.cpuIdle ? 'linux.resources.cpu.idle' : undefined),
    reason: () => 'this kernel has no cpu.idle',
  },
];
