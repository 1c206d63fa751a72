// parseConfig: every rule has one test that breaks it and checks the exact one-line message.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, SpecError } from '../../src/spec/validate.js';
import { RLIM_INFINITY } from '../../src/spec/config.js';
import { BARE_HOST, RICH_HOST, minimalConfig } from './helpers.js';
import { when } from '../support/skip.js';

type Mutation = (c: Record<string, any>) => void;

/** Each case: what is broken, how, and the exact message parseConfig must give. */
const REJECTED: [string, Mutation, string][] = [
  ['no ociVersion', (c) => delete c.ociVersion, 'ociVersion: is required'],
  ['a version 2', (c) => (c.ociVersion = '2.0.0'), 'ociVersion: unsupported version "2.0.0" (engine reads runtime-spec 1.x)'],
  ['no process', (c) => delete c.process, 'process: is required'],
  ['no root', (c) => delete c.root, 'root: is required'],
  ['an empty root path', (c) => (c.root.path = ''), 'root.path: must not be empty'],
  ['empty args', (c) => (c.process.args = []), 'process.args: must name a program to run'],
  ['a non-string arg', (c) => (c.process.args = ['/bin/sh', 3]), 'process.args[1]: must be a string, got 3'],
  ['a relative cwd', (c) => (c.process.cwd = 'tmp'), 'process.cwd: must be an absolute path, got "tmp"'],
  ['env without =', (c) => (c.process.env = ['PATH=/bin', 'JUNK']), 'process.env[1]: must be NAME=VALUE, got "JUNK"'],
  ['a negative uid', (c) => (c.process.user.uid = -1), 'process.user.uid: must be a non-negative integer, got -1'],
  ['a fractional gid', (c) => (c.process.user.gid = 1.5), 'process.user.gid: must be a non-negative integer, got 1.5'],
  ['uid (uid_t)-1', (c) => (c.process.user.uid = 4294967295), 'process.user.uid: must be at most 4294967294, got 4294967295'],
  ['a string uid', (c) => (c.process.user.uid = '0'), 'process.user.uid: must be a non-negative integer, got "0"'],
  ['a bad additional gid', (c) => (c.process.user.additionalGids = [1, -2]), 'process.user.additionalGids[1]: must be a non-negative integer, got -2'],
  ['a umask out of range', (c) => (c.process.user.umask = 0o1000), 'process.user.umask: must be at most 511, got 512'],
  ['an unknown capability', (c) => (c.process.capabilities = { bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_FOO'] }), 'process.capabilities.bounding[2]: unknown capability "CAP_FOO"'],
  ['a capability without CAP_', (c) => (c.process.capabilities = { effective: ['CHOWN'] }), 'process.capabilities.effective[0]: unknown capability "CHOWN"'],
  ['effective beyond permitted', (c) => (c.process.capabilities = { effective: ['CAP_KILL'], permitted: [] }), 'process.capabilities.effective[0]: CAP_KILL is effective but not permitted'],
  ['an unknown rlimit', (c) => (c.process.rlimits = [{ type: 'RLIMIT_BAR', soft: 1, hard: 1 }]), 'process.rlimits[0].type: unknown rlimit "RLIMIT_BAR"'],
  ['a duplicate rlimit', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_NOFILE', soft: 2, hard: 2 }]), 'process.rlimits[1].type: duplicate rlimit "RLIMIT_NOFILE"'],
  ['soft above hard', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2048, hard: 1024 }]), 'process.rlimits[0].soft: 2048 is above the hard limit 1024'],
  ['a negative rlimit', (c) => (c.process.rlimits = [{ type: 'RLIMIT_CORE', soft: -1, hard: 0 }]), 'process.rlimits[0].soft: must be a non-negative integer, got -1'],
  ['an oomScoreAdj out of range', (c) => (c.process.oomScoreAdj = 1001), 'process.oomScoreAdj: must be at most 1000, got 1001'],
  ['a string terminal', (c) => (c.process.terminal = 'yes'), 'process.terminal: must be true or false, got "yes"'],
  ['a relative mount destination', (c) => (c.mounts = [{ destination: 'proc', type: 'proc' }]), 'mounts[0].destination: must be an absolute path, got "proc"'],
  ['mount options not strings', (c) => (c.mounts = [{ destination: '/x', options: ['ro', 1] }]), 'mounts[0].options[1]: must be a string, got 1'],
  ['a relative hook path', (c) => (c.hooks = { prestart: [{ path: 'hook' }] }), 'hooks.prestart[0].path: must be an absolute path, got "hook"'],
  ['a zero hook timeout', (c) => (c.hooks = { poststop: [{ path: '/h', timeout: 0 }] }), 'hooks.poststop[0].timeout: must be at least 1, got 0'],
  ['a non-string annotation', (c) => (c.annotations = { a: 1 }), 'annotations.a: must be a string, got 1'],
  ['an unknown namespace', (c) => c.linux.namespaces.push({ type: 'foo' }), 'linux.namespaces[1].type: unknown namespace "foo"'],
  ['a duplicate namespace', (c) => c.linux.namespaces.push({ type: 'pid' }, { type: 'pid' }), 'linux.namespaces[2].type: duplicate namespace "pid"'],
  ['a relative namespace path', (c) => c.linux.namespaces.push({ type: 'network', path: 'netns' }), 'linux.namespaces[1].path: must be an absolute path, got "netns"'],
  ['no mount namespace', (c) => (c.linux.namespaces = [{ type: 'pid' }]), 'linux.namespaces: must include a mount namespace: engine sets up the root filesystem inside one'],
  ['a hostname without uts', (c) => (c.hostname = 'h'), 'hostname: needs a uts namespace (setting it would rename the host)'],
  ['a user namespace without mappings', (c) => c.linux.namespaces.push({ type: 'user' }), 'linux.uidMappings: a new user namespace needs both uidMappings and gidMappings'],
  ['mappings without a user namespace', (c) => (c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]), 'linux.uidMappings: id mappings need a new user namespace'],
  ['a zero-size mapping', (c) => { c.linux.namespaces.push({ type: 'user' }); c.linux.uidMappings = [{ containerID: 0, hostID: 1, size: 0 }]; }, 'linux.uidMappings[0].size: must be at least 1, got 0'],
  ['a host sysctl', (c) => (c.linux.sysctl = { 'vm.swappiness': '0' }), 'linux.sysctl.vm.swappiness: not a namespaced sysctl: setting it would change the host'],
  ['a net sysctl without a network namespace', (c) => (c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }), 'linux.sysctl.net.ipv4.ip_forward: needs a network namespace (setting it would change the host)'],
  ['an ipc sysctl without an ipc namespace', (c) => (c.linux.sysctl = { 'kernel.shmmax': '1' }), 'linux.sysctl.kernel.shmmax: needs an ipc namespace (setting it would change the host)'],
  ['kernel.hostname as a sysctl', (c) => { c.linux.namespaces.push({ type: 'uts' }); c.linux.sysctl = { 'kernel.hostname': 'x' }; }, 'linux.sysctl.kernel.hostname: set the hostname field instead'],
  ['an unknown device type', (c) => (c.linux.devices = [{ type: 'x', path: '/dev/x', major: 1, minor: 1 }]), 'linux.devices[0].type: unknown device type "x"'],
  ['a char device without a major', (c) => (c.linux.devices = [{ type: 'c', path: '/dev/x', minor: 1 }]), 'linux.devices[0].major: is required for a device of type c'],
  ['a relative device path', (c) => (c.linux.devices = [{ type: 'c', path: 'dev/x', major: 1, minor: 1 }]), 'linux.devices[0].path: must be an absolute path, got "dev/x"'],
  ['a duplicate device path', (c) => (c.linux.devices = [{ type: 'p', path: '/dev/f' }, { type: 'p', path: '/dev/f' }]), 'linux.devices[1].path: duplicate device path "/dev/f"'],
  ['a device rule with bad access', (c) => (c.linux.resources = { devices: [{ allow: true, access: 'rwx' }] }), 'linux.resources.devices[0].access: must be some of r, w and m, each once, got "rwx"'],
  ['a device rule without allow', (c) => (c.linux.resources = { devices: [{ access: 'rwm' }] }), 'linux.resources.devices[0].allow: is required'],
  ['a zero memory limit', (c) => (c.linux.resources = { memory: { limit: 0 } }), 'linux.resources.memory.limit: must be positive, or -1 for unlimited'],
  ['swap below the memory limit', (c) => (c.linux.resources = { memory: { limit: 2048, swap: 1024 } }), 'linux.resources.memory.swap: memory+swap 1024 is below the memory limit 2048'],
  ['swappiness above 100', (c) => (c.linux.resources = { memory: { swappiness: 101 } }), 'linux.resources.memory.swappiness: must be at most 100, got 101'],
  ['a bad cpu list', (c) => (c.linux.resources = { cpu: { cpus: '0-a' } }), 'linux.resources.cpu.cpus: must be a list like 0-3,5, got "0-a"'],
  ['a backwards cpu range', (c) => (c.linux.resources = { cpu: { cpus: '3-1' } }), 'linux.resources.cpu.cpus: range 3-1 is backwards'],
  ['a pids limit below -1', (c) => (c.linux.resources = { pids: { limit: -2 } }), 'linux.resources.pids.limit: must be at least -1, got -2'],
  ['an unknown propagation', (c) => (c.linux.rootfsPropagation = 'sharedish'), 'linux.rootfsPropagation: unknown propagation "sharedish"'],
  ['a relative masked path', (c) => (c.linux.maskedPaths = ['proc/kcore']), 'linux.maskedPaths[0]: must be an absolute path, got "proc/kcore"'],
  ['an unknown seccomp default action', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_MAYBE' }), 'linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_MAYBE"'],
  ['an unknown seccomp architecture', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_Z80'] }), 'linux.seccomp.architectures[1]: unknown seccomp architecture "SCMP_ARCH_Z80"'],
  ['an unknown seccomp flag', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_FAST'] }), 'linux.seccomp.flags[0]: unknown seccomp flag "SECCOMP_FILTER_FLAG_FAST"'],
  ['an unknown seccomp operator', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_ALMOST' }] }] }), 'linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "SCMP_CMP_ALMOST"'],
  ['a seccomp argument index 6', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }), 'linux.seccomp.syscalls[0].args[0].index: must be at most 5, got 6'],
  ['a negative seccomp value', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }] }), 'linux.seccomp.syscalls[0].args[0].value: must be a non-negative integer, got -1'],
  ['a syscall rule without names', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }), 'linux.seccomp.syscalls[0].names: must name at least one system call'],
  ['a syscall name with junk', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount;'], action: 'SCMP_ACT_ERRNO' }] }), 'linux.seccomp.syscalls[0].names[0]: not a system call name: "mount;"'],
  ['errnoRet with ALLOW', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }] }), 'linux.seccomp.syscalls[0].errnoRet: is only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW'],
  ['an errnoRet above MAX_ERRNO', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 5000 }), 'linux.seccomp.defaultErrnoRet: must be at most 4095, got 5000'],
];

for (const [what, mutate, message] of REJECTED) {
  test(`rejects ${what}`, (t) => {
    const c = minimalConfig();
    mutate(c);
    const err = t.throws(() => parseConfig(c, BARE_HOST), { instanceOf: SpecError });
    t.is(err?.message, message);
    t.is((err as SpecError).code, 'invalid_argument');
    t.false(err!.message.includes('\n'));
  });
}

test('rejects a config that is not an object', (t) => {
  t.is(t.throws(() => parseConfig([], BARE_HOST))?.message, 'must be an object, got []');
});

/** Fields a valid spec may carry that this host or engine cannot honour. */
const UNHONOURED: [string, Mutation, string][] = [
  ['an AppArmor profile', (c) => (c.process.apparmorProfile = 'docker-default'), 'process.apparmorProfile: cannot be honoured: AppArmor is not enabled on this host'],
  ['an SELinux label', (c) => (c.process.selinuxLabel = 'system_u:system_r:container_t:s0'), 'process.selinuxLabel: cannot be honoured: SELinux is not enabled on this host'],
  ['an SELinux mount label', (c) => (c.linux.mountLabel = 'system_u:object_r:container_file_t:s0'), 'linux.mountLabel: cannot be honoured: SELinux is not enabled on this host'],
  ['Intel RDT', (c) => (c.linux.intelRdt = { closID: 'x' }), 'linux.intelRdt: cannot be honoured: Intel RDT (resctrl) is not supported by engine'],
  ['time offsets', (c) => (c.linux.timeOffsets = { monotonic: { secs: 1 } }), 'linux.timeOffsets: cannot be honoured: time namespaces are not supported by engine'],
  ['a time namespace', (c) => c.linux.namespaces.push({ type: 'time' }), 'linux.namespaces[1].type: cannot be honoured: time namespaces are not supported by engine'],
  ['the LINUX32 personality', (c) => (c.linux.personality = { domain: 'LINUX32' }), 'linux.personality.domain: cannot be honoured: only the LINUX personality without flags is supported'],
  ['personality flags', (c) => (c.linux.personality = { domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] }), 'linux.personality.flags: cannot be honoured: only the LINUX personality without flags is supported'],
  ['a seccomp listener', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' }), 'linux.seccomp.listenerPath: cannot be honoured: seccomp user notification (SCMP_ACT_NOTIFY, listenerPath) is not supported'],
  ['SCMP_ACT_NOTIFY', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_NOTIFY' }] }), 'linux.seccomp.syscalls[0].action: cannot be honoured: seccomp user notification (SCMP_ACT_NOTIFY, listenerPath) is not supported'],
  ['an idmapped mount', (c) => (c.mounts = [{ destination: '/data', type: 'bind', source: '/srv', gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }]), 'mounts[0].gidMappings: cannot be honoured: idmapped mounts are not supported'],
  ['rdma limits', (c) => (c.linux.resources = { rdma: { mlx5_1: { hcaHandles: 3 } } }), 'linux.resources.rdma: cannot be honoured: the rdma cgroup controller is not supported by engine'],
  ['hugepage limits', (c) => (c.linux.resources = { hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }), 'linux.resources.hugepageLimits: cannot be honoured: hugetlb limits are not supported by engine'],
  ['network class limits', (c) => (c.linux.resources = { network: { classID: 1 } }), 'linux.resources.network: cannot be honoured: net_cls/net_prio limits are not supported by engine'],
  ['unified resources on v1', (c) => (c.linux.resources = { unified: { 'memory.high': '1G' } }), 'linux.resources.unified: cannot be honoured: cgroup v2 (unified) resources cannot be set on this cgroup v1 host'],
  ['block I/O limits', (c) => (c.linux.resources = { blockIO: { weight: 100 } }), 'linux.resources.blockIO: cannot be honoured: block I/O limits are not supported by engine yet'],
  ['a kernel memory limit', (c) => (c.linux.resources = { memory: { kernel: 1 << 20 } }), 'linux.resources.memory.kernel: cannot be honoured: kernel memory limits are not supported (deprecated, and gone from current kernels)'],
  ['useHierarchy false', (c) => (c.linux.resources = { memory: { useHierarchy: false } }), 'linux.resources.memory.useHierarchy: cannot be honoured: the memory hierarchy cannot be turned off on current kernels'],
  ['real-time CPU without RT groups', (c) => (c.linux.resources = { cpu: { realtimeRuntime: 950000 } }), 'linux.resources.cpu.realtimeRuntime: cannot be honoured: this kernel has no real-time group scheduling (CONFIG_RT_GROUP_SCHED)'],
  ['cpu.idle without it', (c) => (c.linux.resources = { cpu: { idle: 1 } }), 'linux.resources.cpu.idle: cannot be honoured: this kernel has no cpu.idle'],
];

for (const [what, mutate, message] of UNHONOURED) {
  test(`refuses ${what} where it cannot be honoured`, (t) => {
    const c = minimalConfig();
    mutate(c);
    t.is(t.throws(() => parseConfig(c, BARE_HOST))?.message, message);
  });
}

test('host-dependent fields pass where the host offers them, or say engine lacks them', (t) => {
  const c = minimalConfig();
  c.linux.resources = { unified: { 'memory.high': '1G' }, cpu: { realtimeRuntime: 950000, idle: 1 } };
  t.notThrows(() => parseConfig(c, RICH_HOST));
  const labelled = minimalConfig();
  labelled.process.selinuxLabel = 'x';
  t.is(t.throws(() => parseConfig(labelled, RICH_HOST))?.message, 'process.selinuxLabel: cannot be honoured: engine does not apply SELinux labels');
});

test('the host is probed only when a spec uses a host-dependent field', (t) => {
  let probes = 0;
  const counting = new Proxy(BARE_HOST, { get: (target, key) => (probes++, Reflect.get(target, key)) });
  parseConfig(minimalConfig(), counting);
  t.is(probes, 0);
});

test('unknown fields are dropped, known ones copied, JSON null is absent', (t) => {
  const c = minimalConfig();
  c.vendorExtension = { x: 1 };
  c.process.user.extra = true;
  c.hostname = null;
  const spec = parseConfig(c, BARE_HOST);
  t.false('vendorExtension' in spec);
  t.false('extra' in spec.process!.user);
  t.false('hostname' in spec);
  c.process.args.push('changed');
  t.deepEqual(spec.process!.args, ['/bin/true']);
});

test('an rlimit of 2^64-1 (JSON delivers 2^64) is RLIM_INFINITY; one just below 2^53 passes', (t) => {
  const c = minimalConfig();
  c.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 18446744073709551615, hard: 18446744073709551615 }, { type: 'RLIMIT_AS', soft: 2 ** 53 - 1, hard: 2 ** 53 - 1 }];
  const spec = parseConfig(c, BARE_HOST);
  t.is(spec.process!.rlimits![0].hard, RLIM_INFINITY);
  t.is(spec.process!.rlimits![1].hard, 2 ** 53 - 1);
  t.deepEqual(JSON.parse(JSON.stringify(spec)).process.rlimits, spec.process!.rlimits);
});

test('namespaced sysctls pass with their namespace', (t) => {
  const c = minimalConfig();
  c.linux.namespaces.push({ type: 'network', path: '/proc/self/ns/net' }, { type: 'ipc' }, { type: 'uts' });
  c.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '10', 'kernel.domainname': 'x', 'net/core/somaxconn': '1' };
  t.notThrows(() => parseConfig(c, BARE_HOST));
});

const hasRunc = (() => {
  try {
    execFileSync('runc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

when(test, hasRunc ? null : 'runc is not installed')('accepts what `runc spec` writes (ambient capabilities and all)', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-spec-'));
  try {
    execFileSync('runc', ['spec'], { cwd: dir, stdio: 'ignore' });
    const spec = parseConfig(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')), BARE_HOST);
    t.deepEqual(spec.process!.capabilities!.ambient, ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
    t.is(spec.hostname, 'runc');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
