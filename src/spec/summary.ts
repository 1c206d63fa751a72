// What `engine inspect` shows of a container's isolation: the effective values, short enough to
// read, taken from the spec the container was started with (`engine inspect --spec` prints the
// whole spec).

import type { RuntimeSpec } from './config.js';

export interface SecuritySummary {
  privileged: boolean;
  /** the bounding set, without the CAP_ prefix */
  capabilities: string[];
  /** default, unconfined, or the profile's file */
  seccomp: string;
  /** rules in the filter (0 when unconfined) */
  seccompRules: number;
  noNewPrivileges: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  /** new (own namespace, lo up), host, or the joined namespace's path */
  network: string;
  user: string;
  readOnlyRoot: boolean;
  pidsLimit: number | null;
  devices: string[];
  rlimits: string[];
}

export function securitySummary(spec: RuntimeSpec, choices: { privileged: boolean; seccomp: string }): SecuritySummary {
  const net = spec.linux?.namespaces?.find((n) => n.type === 'network');
  const u = spec.process?.user;
  return {
    privileged: choices.privileged,
    capabilities: (spec.process?.capabilities?.bounding ?? []).map((c) => c.replace(/^CAP_/, '')),
    seccomp: spec.linux?.seccomp ? choices.seccomp : 'unconfined',
    seccompRules: spec.linux?.seccomp?.syscalls?.length ?? 0,
    noNewPrivileges: spec.process?.noNewPrivileges ?? false,
    maskedPaths: spec.linux?.maskedPaths ?? [],
    readonlyPaths: spec.linux?.readonlyPaths ?? [],
    network: !net ? 'host' : net.path ? `ns:${net.path}` : 'new (lo only)',
    user: u ? `${u.uid}:${u.gid}` : '0:0',
    readOnlyRoot: spec.root?.readonly ?? false,
    pidsLimit: spec.linux?.resources?.pids?.limit ?? null,
    devices: (spec.linux?.devices ?? []).map((d) => `${d.path} (${d.type} ${d.major}:${d.minor})`),
    rlimits: (spec.process?.rlimits ?? []).map((r) => `${r.type.replace(/^RLIMIT_/, '').toLowerCase()}=${r.soft}:${r.hard}`),
  };
}
