// The security part of the spawn plan: what the container's child applies between clone() and
// execve(), precomputed here so the child only copies numbers into system calls.
//
// Why precomputed: the child of a multithreaded Node process may make only async-signal-safe calls,
// so names, lists and the seccomp compiler stay on this side. The order the child should follow
// (runc's): setrlimit; setgroups/setresgid/setresuid with PR_SET_KEEPCAPS; drop the bounding set
// (PR_CAPBSET_DROP, needs CAP_SETPCAP, so before capset); capset; raise ambient; no_new_privs;
// seccomp as the very last call before execve. Without no_new_privs, installing a filter needs
// CAP_SYS_ADMIN, which the container may no longer hold by then: install it before the capability
// steps in that case (the profile must then allow them, as the default does), as runc does.

import type { RlimitType, RuntimeSpec } from '../spec/config.js';
import { RLIMIT_TYPES, RLIM_INFINITY } from '../spec/config.js';
import { capabilityMask, capabilityWords, lastCapability } from './capabilities.js';
import { compileSeccomp } from './seccomp-compile.js';

export interface CapabilitySets {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

export interface SecurityPlan {
  /**
   * Bit n set = capability n; only capabilities this kernel knows (<= cap_last_cap). Ambient holds
   * only what can be raised (also permitted and inheritable).
   */
  capabilities: CapabilitySets;
  /** The same sets as capset(2)'s [low 32 bits, high 32 bits] words, for the native side. */
  capabilityWords: Record<keyof CapabilitySets, [number, number]>;
  /** Capabilities to PR_CAPBSET_DROP: known to the kernel and not in the bounding set. */
  boundingDrop: number[];
  noNewPrivileges: boolean;
  /** null: no seccomp filter (unconfined). */
  seccomp: { program: Buffer; flags: number } | null;
  /** setrlimit(2) calls in spec order; resource is the Linux RLIMIT_* number; values are uint64. */
  rlimits: { resource: number; soft: bigint; hard: bigint }[];
  uid: number;
  gid: number;
  /** setgroups(2) list; empty means "clear" (engine never inherits the supervisor's groups). */
  additionalGids: number[];
  /** umask to set, or undefined to keep 0022 from the supervisor's default. */
  umask?: number;
  /** /proc/self/oom_score_adj to write, if any. */
  oomScoreAdj?: number;
}

const u64 = (n: number) => (n >= RLIM_INFINITY ? 0xffff_ffff_ffff_ffffn : BigInt(n));
const resourceNumber = (t: RlimitType) => RLIMIT_TYPES.indexOf(t);

/** The plan for a validated spec (from parseConfig or buildSpec). */
export function securityPlan(spec: RuntimeSpec, lastCap = lastCapability()): SecurityPlan {
  const proc = spec.process!;
  const c = proc.capabilities ?? {};
  const capabilities: CapabilitySets = {
    bounding: capabilityMask(c.bounding ?? [], lastCap),
    effective: capabilityMask(c.effective ?? [], lastCap),
    permitted: capabilityMask(c.permitted ?? [], lastCap),
    inheritable: capabilityMask(c.inheritable ?? [], lastCap),
    ambient: 0n,
  };
  // PR_CAP_AMBIENT_RAISE refuses a capability that is not both permitted and inheritable; runc
  // warns and goes on, so such entries are left out here rather than failing the child.
  capabilities.ambient = capabilityMask(c.ambient ?? [], lastCap) & capabilities.permitted & capabilities.inheritable;
  const boundingDrop: number[] = [];
  for (let n = 0; n <= lastCap; n++) if (!((capabilities.bounding >> BigInt(n)) & 1n)) boundingDrop.push(n);
  const words = Object.fromEntries(Object.entries(capabilities).map(([k, v]) => [k, capabilityWords(v)])) as SecurityPlan['capabilityWords'];
  const sc = spec.linux?.seccomp;
  return {
    capabilities,
    capabilityWords: words,
    boundingDrop,
    noNewPrivileges: proc.noNewPrivileges ?? false,
    seccomp: sc ? compileSeccomp(sc) : null,
    rlimits: (proc.rlimits ?? []).map((r) => ({ resource: resourceNumber(r.type), soft: u64(r.soft), hard: u64(r.hard) })),
    uid: proc.user.uid,
    gid: proc.user.gid,
    additionalGids: [...(proc.user.additionalGids ?? [])],
    umask: proc.user.umask,
    oomScoreAdj: proc.oomScoreAdj,
  };
}
