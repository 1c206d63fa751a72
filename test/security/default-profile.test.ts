// The default profile: shaped like Docker's, and complete (every x86 system call is decided).

import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { BLOCKED, CLONE_NAMESPACE_FLAGS, DEFAULT_SECCOMP_PROFILE } from '../../src/security/default-seccomp.js';
import { dockerProfileToOci, readDockerProfile } from '../../src/security/docker-profile.js';
import { DOCKER_DEFAULT_CAPABILITIES, allCapabilities } from '../../src/security/capabilities.js';
import { when } from '../support/skip.js';

const ASM = '/usr/include/x86_64-linux-gnu/asm';
const headers = ['unistd_64.h', 'unistd_32.h', 'unistd_x32.h'].map((f) => `${ASM}/${f}`);
const haveHeaders = headers.every(existsSync);

const resolve = (caps: readonly string[]) =>
  dockerProfileToOci(DEFAULT_SECCOMP_PROFILE, { capabilities: caps, arch: 'SCMP_ARCH_X86_64', kernel: { major: 6, minor: 1 } });

/** Syscall name -> the rules that mention it. */
function rulesFor(caps: readonly string[]) {
  const out = new Map<string, { action: string; args?: unknown[]; errnoRet?: number }[]>();
  for (const r of resolve(caps).syscalls!) for (const n of r.names) out.set(n, [...(out.get(n) ?? []), r]);
  return out;
}

const allowedOutright = (caps: readonly string[], name: string) =>
  (rulesFor(caps).get(name) ?? []).some((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args);

test('an allowlist: EPERM by default, for x86_64 with its i386 and x32 ABIs', (t) => {
  const oci = resolve(DOCKER_DEFAULT_CAPABILITIES);
  t.is(oci.defaultAction, 'SCMP_ACT_ERRNO');
  t.is(oci.defaultErrnoRet, 1);
  t.deepEqual(oci.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  t.notThrows(() => readDockerProfile(JSON.parse(JSON.stringify(DEFAULT_SECCOMP_PROFILE))), 'it is a valid Docker-format profile');
});

when(test, haveHeaders ? null : 'no kernel headers')('every x86_64, i386 and x32 system call is allowed by some rule or named in BLOCKED', (t) => {
  const named = new Set(DEFAULT_SECCOMP_PROFILE.syscalls!.flatMap((s) => s.names));
  const all = new Set(headers.flatMap((h) => [...readFileSync(h, 'utf8').matchAll(/^#define __NR_(\w+)\s/gm)].map((m) => m[1])));
  t.true(all.size > 400);
  t.deepEqual([...all].filter((n) => !named.has(n) && !(n in BLOCKED)), [], 'undecided system calls');
  t.deepEqual([...named].filter((n) => n in BLOCKED), [], 'both allowed and blocked');
});

const NEVER = ['add_key', 'keyctl', 'request_key', 'kexec_load', 'kexec_file_load', 'userfaultfd', 'swapon', 'swapoff', 'nfsservctl', 'uselib', 'vm86', 'vm86old', 'ustat', 'sysfs', 'io_uring_setup', '_sysctl'];

test('blocked whatever the capabilities: keyrings, kexec, userfaultfd, swap, io_uring, obsolete calls', (t) => {
  const everything = rulesFor(allCapabilities(40));
  for (const name of NEVER) t.false(everything.has(name), name);
});

const CAP_GATED: [string, string[]][] = [
  ['CAP_SYS_ADMIN', ['mount', 'umount2', 'pivot_root', 'unshare', 'setns', 'fsopen', 'open_tree', 'move_mount', 'quotactl', 'lookup_dcookie', 'sethostname', 'setdomainname', 'fanotify_init']],
  ['CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']],
  ['CAP_SYS_BOOT', ['reboot']],
  ['CAP_SYS_TIME', ['clock_settime', 'settimeofday', 'stime']],
  ['CAP_DAC_READ_SEARCH', ['open_by_handle_at', 'name_to_handle_at']],
  ['CAP_SYS_PACCT', ['acct']],
  ['CAP_SYS_RAWIO', ['iopl', 'ioperm']],
  ['CAP_SYSLOG', ['syslog']],
  ['CAP_BPF', ['bpf']],
  ['CAP_PERFMON', ['perf_event_open']],
  ['CAP_SYS_PTRACE', ['kcmp', 'pidfd_getfd']],
  ['CAP_SYS_NICE', ['mbind', 'set_mempolicy']],
  ['CAP_SYS_TTY_CONFIG', ['vhangup']],
];

for (const [cap, calls] of CAP_GATED) {
  test(`${calls.slice(0, 3).join(', ')}... only with ${cap}`, (t) => {
    for (const name of calls) {
      t.false(allowedOutright(DOCKER_DEFAULT_CAPABILITIES, name), `${name} without ${cap}`);
      t.true(allowedOutright([...DOCKER_DEFAULT_CAPABILITIES, cap], name), `${name} with ${cap}`);
    }
  });
}

test('chroot is allowed with the default CAP_SYS_CHROOT and goes with it', (t) => {
  t.true(allowedOutright(DOCKER_DEFAULT_CAPABILITIES, 'chroot'));
  t.false(allowedOutright(DOCKER_DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT'), 'chroot'));
});

test('clone: only without namespace flags unless CAP_SYS_ADMIN; clone3: ENOSYS so libc falls back', (t) => {
  const dflt = rulesFor(DOCKER_DEFAULT_CAPABILITIES);
  t.deepEqual(dflt.get('clone'), [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }] }]);
  t.is(CLONE_NAMESPACE_FLAGS, 0x10000000 | 0x20000 | 0x20000000 | 0x40000000 | 0x08000000 | 0x04000000 | 0x02000000);
  t.deepEqual(dflt.get('clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  const admin = rulesFor([...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
  t.true(allowedOutright([...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], 'clone'));
  t.true(allowedOutright([...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], 'clone3'));
  t.false(admin.get('clone3')!.some((r) => r.action === 'SCMP_ACT_ERRNO'));
});

test('personality: only the safe values; socket: not AF_VSOCK; ptrace from 4.8', (t) => {
  const r = rulesFor(DOCKER_DEFAULT_CAPABILITIES);
  t.deepEqual(r.get('personality')!.map((p) => (p.args![0] as { value: number }).value), [0, 8, 0x20000, 0x20008, 0xffffffff]);
  t.deepEqual(r.get('socket')![0].args, [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }]);
  t.true(allowedOutright(DOCKER_DEFAULT_CAPABILITIES, 'ptrace'));
  const old = dockerProfileToOci(DEFAULT_SECCOMP_PROFILE, { capabilities: DOCKER_DEFAULT_CAPABILITIES, arch: 'SCMP_ARCH_X86_64', kernel: { major: 4, minor: 4 } });
  t.false(old.syscalls!.some((s) => s.names.includes('ptrace')));
});

test('everyday calls are allowed outright', (t) => {
  for (const name of ['read', 'write', 'openat', 'execve', 'getpid', 'mmap', 'futex', 'epoll_wait', 'accept4', 'mknod', 'capset', 'setuid', 'prctl', 'seccomp', 'adjtimex', 'arch_prctl', 'rseq']) {
    t.true(allowedOutright(DOCKER_DEFAULT_CAPABILITIES, name), name);
  }
});
