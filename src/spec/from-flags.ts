// buildSpec: the container `engine start/run` was asked for, as one validated RuntimeSpec.
//
// Why here: the supervisor and engine-oci must feed the spawn path the same model, so the CLI's
// Docker-style flags are turned into a spec (the default spec plus Docker's opt-outs), checked by
// the same parseConfig that checks a config.json. Every bad flag is a one-line error naming the
// flag, raised before anything is created. Capabilities are settled first, because the seccomp
// profile is resolved against the final bounding set (with --cap-add SYS_ADMIN, mount is allowed).

import { invalid } from '../errors.js';
import { allCapabilities, capabilityNumber, heldCapabilities, lastCapability, type CapabilityName } from '../security/capabilities.js';
import { dockerProfileToOci, loadDockerProfile } from '../security/docker-profile.js';
import { hostDevices as listHostDevices } from '../security/host-devices.js';
import { RLIM_INFINITY, type Device, type Rlimit, type RlimitType, type RuntimeSpec } from './config.js';
import { CGROUP_DESTINATION, defaultSeccomp, defaultSpec, SYSFS_DESTINATION, type SeccompTarget } from './defaults.js';
import {
  parseDevice, parseNetwork, parsePidsLimit, parseSecurityOpts, parseUlimit, tweakCapabilities, type DeviceGrant,
} from './flag-parsers.js';
import type { HostFeatures } from './host.js';
import { ownHardLimits } from './own-limits.js';
import { resolveUser } from './users.js';
import { parseConfig } from './validate.js';
import { envProblem, mergeEnv } from './env.js';
import { userMounts } from './volumes.js';

export interface ContainerFlags {
  /** The command and its arguments. */
  args: string[];
  /** The container's hostname (engine: its id). */
  hostname: string;
  env?: string[];
  cwd?: string;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  securityOpt?: string[];
  /** none | host | ns:PATH (default: none, a new network namespace with lo). */
  network?: string;
  device?: string[];
  pidsLimit?: string | number;
  ulimit?: string[];
  /** UID[:GID] or names from the rootfs's /etc/passwd and /etc/group. */
  user?: string;
  readOnly?: boolean;
  /** -v HOST:CONTAINER[:ro|rw], HOST absolute (volumes.ts) */
  volume?: string[];
  /** --tmpfs PATH[:OPTIONS] */
  tmpfs?: string[];
}

/** What buildSpec asks of the machine; tests replace parts of it. */
export interface BuildOptions extends SeccompTarget {
  lastCap?: number;
  /** The capabilities the runtime holds as a mask (default: this process's permitted set). */
  heldCapabilities?: bigint;
  /** The runtime's own hard rlimits (default: this process's). */
  hardLimits?: Partial<Record<RlimitType, number>>;
  hostDevices?: () => Device[];
  namespaceTypeOf?: (path: string) => string;
  deviceAt?: (file: string, destination: string) => Device | undefined;
  host?: HostFeatures;
}

function rejectPrivilegedContradictions(flags: ContainerFlags, seccompKind: string | undefined): void {
  if (!flags.privileged) return;
  if (flags.capDrop?.length) throw invalid('--privileged cannot be combined with --cap-drop: a privileged container keeps every capability');
  if (seccompKind === 'profile') throw invalid('--privileged cannot be combined with --security-opt seccomp=PROFILE: a privileged container runs without seccomp');
}

/** Devices by container path, later ones replacing earlier ones. */
function mergeDevices(...lists: Device[][]): Device[] {
  const byPath = new Map<string, Device>();
  for (const list of lists) for (const d of list) byPath.set(d.path, d);
  return [...byPath.values()];
}

/** Turns the flags into a spec for the root filesystem at `rootfs`; throws EngineError(invalid_argument). */
export function buildSpec(flags: ContainerFlags, rootfs: string, options: BuildOptions = {}): RuntimeSpec {
  const opts = parseSecurityOpts(flags.securityOpt ?? []);
  rejectPrivilegedContradictions(flags, opts.seccomp?.kind);
  const lastCap = options.lastCap ?? lastCapability();
  const network = parseNetwork(flags.network, options.namespaceTypeOf);
  const grants: DeviceGrant[] = (flags.device ?? []).map((d) => parseDevice(d, options.deviceAt));
  const rlimits = new Map<string, Rlimit>();
  const held = options.heldCapabilities ?? heldCapabilities();
  const canRaise = ((held >> BigInt(capabilityNumber('CAP_SYS_RESOURCE'))) & 1n) === 1n;
  const ownHard = canRaise ? {} : (options.hardLimits ?? ownHardLimits());
  for (const u of flags.ulimit ?? []) {
    const r = parseUlimit(u);
    const limit = ownHard[r.type];
    if (limit !== undefined && r.hard > limit) {
      throw invalid(`--ulimit ${u}: the hard limit is above the runtime's own (${limit === RLIM_INFINITY ? 'unlimited' : limit}), which it cannot raise without CAP_SYS_RESOURCE`);
    }
    rlimits.set(r.type, r); // a later --ulimit of the same name wins
  }
  const pidsLimit = flags.pidsLimit === undefined ? undefined : parsePidsLimit(flags.pidsLimit);
  for (const e of flags.env ?? []) {
    const problem = envProblem(e);
    if (problem || !e.includes('=')) throw invalid(`--env ${JSON.stringify(e.slice(0, 60))}: ${problem ?? 'expected NAME=VALUE'}`);
  }
  if (flags.cwd !== undefined && !flags.cwd.startsWith('/')) throw invalid(`--workdir ${JSON.stringify(flags.cwd)}: must be an absolute path`);
  const own = userMounts(flags.volume ?? [], flags.tmpfs ?? [], rootfs);
  let user;
  try {
    user = flags.user === undefined ? undefined : resolveUser(flags.user, rootfs);
  } catch (e) {
    throw invalid((e as Error).message);
  }

  const spec = defaultSpec({ args: flags.args, hostname: flags.hostname, rootfs, env: flags.env, cwd: flags.cwd }, { arch: options.arch, kernel: options.kernel });
  const proc = spec.process!;
  const linux = spec.linux!;

  // "Every capability" (--privileged, --cap-add ALL) is every one the runtime can give, as
  // containerd's privileged mode takes the current process's: root in a VM may lack some.
  const grantable = allCapabilities(lastCap).filter((c) => (held >> BigInt(capabilityNumber(c))) & 1n);
  const caps: CapabilityName[] = flags.privileged ? grantable : tweakCapabilities(flags.capAdd ?? [], flags.capDrop ?? [], grantable);
  proc.capabilities = { bounding: [...caps], effective: [...caps], permitted: [...caps], inheritable: [], ambient: [] };

  const seccomp = opts.seccomp ?? { kind: 'default' };
  if (flags.privileged || seccomp.kind === 'unconfined') delete linux.seccomp;
  else if (seccomp.kind === 'profile') linux.seccomp = dockerProfileToOci(loadDockerProfile(seccomp.file, `--security-opt seccomp=${seccomp.file}`), { capabilities: caps, arch: options.arch, kernel: options.kernel });
  else linux.seccomp = defaultSeccomp(caps, { arch: options.arch, kernel: options.kernel });

  if (opts.noNewPrivileges !== undefined) proc.noNewPrivileges = opts.noNewPrivileges;
  if (flags.privileged || opts.unmaskSystemPaths) {
    linux.maskedPaths = [];
    linux.readonlyPaths = [];
  }
  if (flags.privileged) {
    // /sys and the cgroup tree writable; every host device present and usable.
    for (const m of spec.mounts!) {
      if (m.destination === SYSFS_DESTINATION || m.destination === CGROUP_DESTINATION) m.options = m.options!.filter((o) => o !== 'ro');
    }
    linux.devices = mergeDevices(linux.devices!, (options.hostDevices ?? listHostDevices)());
    linux.resources!.devices = [{ allow: true, access: 'rwm' }];
  }
  if (grants.length > 0) {
    linux.devices = mergeDevices(linux.devices!, grants.map((g) => g.device));
    if (!flags.privileged) linux.resources!.devices!.push(...grants.map((g) => g.rule));
  }

  if (network.kind === 'host') linux.namespaces = linux.namespaces!.filter((n) => n.type !== 'network');
  else if (network.kind === 'join') linux.namespaces!.find((n) => n.type === 'network')!.path = network.path;

  if (pidsLimit !== undefined) linux.resources!.pids = { limit: pidsLimit };
  if (rlimits.size > 0) proc.rlimits = [...rlimits.values()];

  if (user) {
    proc.user = { uid: user.uid, gid: user.gid, additionalGids: [] };
    if (!proc.env!.some((e) => e.startsWith('HOME='))) proc.env!.push(`HOME=${user.home}`);
  } else if (!proc.env!.some((e) => e.startsWith('HOME='))) {
    proc.env!.push('HOME=/root');
  }

  if (flags.readOnly) {
    spec.root!.readonly = true;
    // A --tmpfs /tmp of the user's replaces this one.
    if (!own.destinations.has('/tmp')) spec.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
  }
  spec.mounts!.push(...own.mounts);
  // -e NAME=... replaces a default of the same name (PATH, HOSTNAME, HOME) rather than adding a second.
  proc.env = mergeEnv(proc.env!);

  return parseConfig(spec, options.host);
}
