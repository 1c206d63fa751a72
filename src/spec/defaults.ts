// The spec `engine start/run` begins from: contained by default, as Docker is.
//
// Why these values: they are what Docker and podman users already rely on (the 14 capabilities, the
// default seccomp profile, masked and read-only /proc and /sys entries, a devices cgroup that lets
// a container make device nodes but open only the harmless ones), so a program that runs under
// `docker run` runs here, and an escape that fails there fails here. from-flags.ts applies the
// everyday opt-outs (--privileged, --cap-add, ...) on top of this.

import type { Device, DeviceRule, Mount, Namespace, RuntimeSpec, Seccomp } from './config.js';
import { DOCKER_DEFAULT_CAPABILITIES, type CapabilityName } from '../security/capabilities.js';
import { DEFAULT_SECCOMP_PROFILE } from '../security/default-seccomp.js';
import { dockerProfileToOci, type KernelVersion } from '../security/docker-profile.js';
import type { SeccompArch } from '../security/seccomp-names.js';

export const OCI_VERSION = '1.1.0';
import { DEFAULT_PATH } from './path-default.js';

export { DEFAULT_PATH };

/** Where /sys is mounted, and the cgroup tree under it: read-only unless --privileged. */
export const SYSFS_DESTINATION = '/sys';
export const CGROUP_DESTINATION = '/sys/fs/cgroup';

export const DEFAULT_MOUNTS: readonly Mount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: SYSFS_DESTINATION, type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  { destination: CGROUP_DESTINATION, type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
];

export const DEFAULT_NAMESPACES: readonly Namespace[] = [
  { type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' },
];

/** Kernel interfaces that describe or control the host: hidden (an empty file or directory over them). */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** Kernel interfaces a container may read but must not change (bind-mounted read-only). */
export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const charDevice = (path: string, major: number, minor: number): Device => ({ type: 'c', path, major, minor, fileMode: 0o666, uid: 0, gid: 0 });

/** The nodes the runtime creates in the container's /dev (ptmx and console are the pts mount's and the terminal's). */
export const DEFAULT_DEVICES: readonly Device[] = [
  charDevice('/dev/null', 1, 3), charDevice('/dev/zero', 1, 5), charDevice('/dev/full', 1, 7),
  charDevice('/dev/random', 1, 8), charDevice('/dev/urandom', 1, 9), charDevice('/dev/tty', 5, 0),
];

const allowChar = (major: number, minor?: number): DeviceRule =>
  minor === undefined ? { allow: true, type: 'c', major, access: 'rwm' } : { allow: true, type: 'c', major, minor, access: 'rwm' };

/**
 * The devices cgroup: deny everything, then let any node be created (mknod: "m") but only these be
 * read or written: the default devices, /dev/console (5:1), /dev/ptmx (5:2) and every pty (136:*).
 * So `mknod /dev/sda b 8 0` succeeds (with CAP_MKNOD) and opening it fails with EPERM.
 */
export const DEFAULT_DEVICE_RULES: readonly DeviceRule[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  ...DEFAULT_DEVICES.map((d) => allowChar(d.major!, d.minor!)),
  allowChar(5, 1),
  allowChar(5, 2),
  allowChar(136),
];

/** Conditions the seccomp profile is resolved against; the defaults are this machine's. */
export interface SeccompTarget {
  arch?: SeccompArch;
  kernel?: KernelVersion;
}

/** The default seccomp profile resolved for a capability bounding set. */
export function defaultSeccomp(capabilities: Iterable<CapabilityName>, target: SeccompTarget = {}): Seccomp {
  return dockerProfileToOci(DEFAULT_SECCOMP_PROFILE, { capabilities, ...target });
}

export interface DefaultSpecInput {
  /** The command and its arguments (argv). */
  args: string[];
  /** The container's hostname (engine uses its id). */
  hostname: string;
  /** The root filesystem directory. */
  rootfs: string;
  /** Extra environment, NAME=VALUE, after the defaults (a later entry wins). */
  env?: string[];
  cwd?: string;
}

const copy = <T>(v: T): T => structuredClone(v);

/** A complete, contained spec; every array is a fresh copy the caller may change. */
export function defaultSpec(input: DefaultSpecInput, target: SeccompTarget = {}): RuntimeSpec {
  const caps = [...DOCKER_DEFAULT_CAPABILITIES];
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      user: { uid: 0, gid: 0, additionalGids: [] },
      args: [...input.args],
      env: [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${input.hostname}`, 'TERM=xterm', ...(input.env ?? [])],
      cwd: input.cwd ?? '/',
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps], inheritable: [], ambient: [] },
      noNewPrivileges: false,
    },
    root: { path: input.rootfs, readonly: false },
    hostname: input.hostname,
    mounts: copy([...DEFAULT_MOUNTS]),
    linux: {
      namespaces: copy([...DEFAULT_NAMESPACES]),
      devices: copy([...DEFAULT_DEVICES]),
      resources: { devices: copy([...DEFAULT_DEVICE_RULES]) },
      seccomp: defaultSeccomp(caps, target),
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
}
