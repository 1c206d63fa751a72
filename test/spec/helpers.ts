// Shared by the spec tests: a minimal valid config.json and a fake host.
import type { HostFeatures } from '../../src/spec/host.js';

/** The smallest config parseConfig accepts: a process, a root, a mount namespace. */
export function minimalConfig(): Record<string, any> {
  return {
    ociVersion: '1.1.0',
    process: { user: { uid: 0, gid: 0 }, args: ['/bin/true'], cwd: '/' },
    root: { path: 'rootfs' },
    linux: { namespaces: [{ type: 'mount' }] },
  };
}

/** A host with nothing optional: no SELinux, no AppArmor, cgroup v1, no RT groups, no cpu.idle. */
export const BARE_HOST: HostFeatures = { selinux: false, apparmor: false, cgroup2: false, cpuRealtime: false, cpuIdle: false };
export const RICH_HOST: HostFeatures = { selinux: true, apparmor: true, cgroup2: true, cpuRealtime: true, cpuIdle: true };
