// engine-oci features: what this runtime supports, in the runtime-spec's features.md format.
import { CAPABILITIES } from '../../security/capabilities.js';
import { SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_OPS } from '../../security/seccomp-names.js';
import { cgroupLayout } from '../../cgroups/hierarchies.js';
import type { OciContext } from '../main.js';

export async function run(_ctx: OciContext, _argv: string[]): Promise<number> {
  let v1 = false;
  let v2 = false;
  try {
    const layout = cgroupLayout();
    v1 = layout.version === 1;
    v2 = layout.version === 2;
  } catch {
    /* none mounted */
  }
  const features = {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.1.0',
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: [
      'async', 'atime', 'bind', 'defaults', 'dev', 'diratime', 'dirsync', 'exec', 'loud', 'mand', 'noatime', 'nodev',
      'nodiratime', 'noexec', 'nomand', 'norelatime', 'nostrictatime', 'nosuid', 'nosymfollow', 'private', 'rbind',
      'relatime', 'remount', 'ro', 'rprivate', 'rro', 'rrw', 'rshared', 'rslave', 'runbindable', 'rw', 'shared',
      'silent', 'slave', 'strictatime', 'suid', 'sync', 'tmpcopyup', 'unbindable',
    ],
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'],
      capabilities: [...CAPABILITIES],
      cgroup: { v1, v2, systemd: false, systemdUser: false },
      seccomp: { enabled: true, actions: [...SECCOMP_ACTIONS].filter((a) => a !== 'SCMP_ACT_NOTIFY'), operators: [...SECCOMP_OPS], archs: [...SECCOMP_ARCHES] },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: { 'org.opencontainers.runc.checkpoint.enabled': 'false', 'io.github.engine.memory-annotations': 'engine.memory.soft-mib,engine.memory.hard-mib' },
  };
  process.stdout.write(`${JSON.stringify(features, null, 2)}\n`);
  return 0;
}
