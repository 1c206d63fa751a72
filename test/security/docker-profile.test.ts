// Docker's profile format: validation with the path inside the profile, and the per-container
// resolution of includes/excludes by capability, architecture and kernel version.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dockerProfileToOci, loadDockerProfile, parseKernelVersion, readDockerProfile, type DockerProfile } from '../../src/security/docker-profile.js';

const K = (s: string) => parseKernelVersion(s);

const PROFILE: DockerProfile = readDockerProfile({
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
    { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['bpf'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN', 'CAP_BPF'] } },
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390x'] } },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
    { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
    { names: ['uselib'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '5.0' } },
    { name: 'clone3', action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
  ],
});

const names = (caps: string[], arch: 'SCMP_ARCH_X86_64' | 'SCMP_ARCH_AARCH64' = 'SCMP_ARCH_X86_64', kernel = '6.1') =>
  dockerProfileToOci(PROFILE, { capabilities: caps, arch, kernel: K(kernel) }).syscalls!.map((s) => s.names.join('+'));

test('includes.caps: all must be held; excludes.caps: any held drops the rule', (t) => {
  t.deepEqual(names([]), ['read+write', 'clone', 'arch_prctl', 'ptrace', 'clone3']);
  t.deepEqual(names(['CAP_SYS_ADMIN']), ['read+write', 'mount', 'arch_prctl', 'ptrace']);
  t.deepEqual(names(['CAP_SYS_ADMIN', 'CAP_BPF']), ['read+write', 'mount', 'bpf', 'arch_prctl', 'ptrace']);
  t.deepEqual(names(['CAP_BPF']), ['read+write', 'clone', 'arch_prctl', 'ptrace', 'clone3']);
});

test('arches compare with the Go name of the native architecture; archMap picks its entry', (t) => {
  const arm = dockerProfileToOci(PROFILE, { capabilities: [], arch: 'SCMP_ARCH_AARCH64', kernel: K('6.1') });
  t.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  t.false(names([], 'SCMP_ARCH_AARCH64').includes('arch_prctl'));
  const x86 = dockerProfileToOci(PROFILE, { capabilities: [], arch: 'SCMP_ARCH_X86_64', kernel: K('6.1') });
  t.deepEqual(x86.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const riscv = dockerProfileToOci(PROFILE, { capabilities: [], arch: 'SCMP_ARCH_RISCV64', kernel: K('6.1') });
  t.is(riscv.architectures, undefined, 'no entry for the native arch: native only');
});

test('minKernel: includes need at least that kernel, excludes drop from that kernel on', (t) => {
  t.false(names([], 'SCMP_ARCH_X86_64', '4.4').includes('ptrace'));
  t.true(names([], 'SCMP_ARCH_X86_64', '4.8').includes('ptrace'));
  t.true(names([], 'SCMP_ARCH_X86_64', '4.19').includes('uselib'));
  t.false(names([], 'SCMP_ARCH_X86_64', '5.0').includes('uselib'));
  t.deepEqual(parseKernelVersion('6.18.44-fc-v1045'), { major: 6, minor: 18 });
});

test('the OCI result keeps actions, errnoRet and args', (t) => {
  const oci = dockerProfileToOci(PROFILE, { capabilities: [], kernel: K('6.1'), arch: 'SCMP_ARCH_X86_64' });
  t.is(oci.defaultAction, 'SCMP_ACT_ERRNO');
  t.is(oci.defaultErrnoRet, 1);
  t.deepEqual(oci.syscalls!.find((s) => s.names[0] === 'clone3'), { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  t.deepEqual(oci.syscalls!.find((s) => s.names[0] === 'clone')!.args, [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }]);
});

const BAD: [string, unknown, string][] = [
  ['an unknown action', { defaultAction: 'SCMP_ACT_FOO' }, 'defaultAction: unknown seccomp action "SCMP_ACT_FOO"'],
  ['an unknown architecture', { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_PDP11'] }, 'architectures[0]: unknown seccomp architecture "SCMP_ARCH_PDP11"'],
  ['an unknown archMap architecture', { defaultAction: 'SCMP_ACT_ERRNO', archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['x86'] }] }, 'archMap[0].subArchitectures[0]: unknown seccomp architecture "x86"'],
  ['both architectures and archMap', { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86'], archMap: [{ architecture: 'SCMP_ARCH_X86_64' }] }, 'archMap: cannot be used together with "architectures"'],
  ['an unknown operator', { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_SIMILAR' }] }] }, 'syscalls[0].args[0].op: unknown seccomp operator "SCMP_CMP_SIMILAR"'],
  ['an unknown include arch', { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['vax'] } }] }, 'syscalls[0].includes.arches[0]: unknown architecture "vax"'],
  ['an unknown include cap', { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_ROOT'] } }] }, 'syscalls[0].includes.caps[0]: unknown capability "CAP_ROOT"'],
  ['a bad minKernel', { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: 'four' } }] }, 'syscalls[0].excludes.minKernel: must be a kernel version like "4.8", got "four"'],
  ['name and names', { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ name: 'a', names: ['b'], action: 'SCMP_ACT_ALLOW' }] }, 'syscalls[0]: has both "name" and "names": use one'],
  ['no names', { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ action: 'SCMP_ACT_ALLOW' }] }, 'syscalls[0].names: must name at least one system call'],
  ['no action', { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'] }] }, 'syscalls[0].action: is required'],
];

for (const [what, json, message] of BAD) {
  test(`a profile with ${what} is refused`, (t) => {
    t.is(t.throws(() => readDockerProfile(json))?.message, message);
  });
}

test('a profile file: unreadable, not JSON or invalid is one line naming the file, never quoting it', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-profile-'));
  try {
    const file = (name: string, text: string) => (writeFileSync(path.join(dir, name), text), path.join(dir, name));
    t.is(t.throws(() => loadDockerProfile(path.join(dir, 'missing.json')))?.message, `seccomp profile ${dir}/missing.json: cannot read it: ENOENT`);
    t.is(t.throws(() => loadDockerProfile(dir))?.message, `seccomp profile ${dir}: cannot read it: not a regular file`);
    // Neither a FIFO (open would wait for a writer) nor an endless device hangs the reader.
    const fifo = path.join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    t.is(t.throws(() => loadDockerProfile(fifo))?.message, `seccomp profile ${fifo}: cannot read it: not a regular file`);
    t.is(t.throws(() => loadDockerProfile('/dev/zero'))?.message, 'seccomp profile /dev/zero: cannot read it: not a regular file');
    const huge = file('huge.json', '');
    truncateSync(huge, 5 << 20);
    t.is(t.throws(() => loadDockerProfile(huge))?.message, `seccomp profile ${huge}: cannot read it: larger than 4194304 bytes`);
    const secret = file('shadow', 'root:$y$j9T$secret:19000:0:99999:7:::\n');
    const err = t.throws(() => loadDockerProfile(secret));
    t.is(err?.message, `seccomp profile ${secret}: not valid JSON`);
    t.false(err!.message.includes('secret:'), 'the content is not echoed');
    t.is(t.throws(() => loadDockerProfile(file('trailing.json', '{"defaultAction": "SCMP_ACT_ERRNO",\n}')))?.message, `seccomp profile ${dir}/trailing.json: not valid JSON at line 2 column 1`);
    t.is(t.throws(() => loadDockerProfile(file('short.json', '{"defaultAction": ')))?.message, `seccomp profile ${dir}/short.json: not valid JSON (it ends too early)`);
    t.is(t.throws(() => loadDockerProfile(file('bad.json', '{"defaultAction": "SCMP_ACT_NOPE"}')))?.message, `seccomp profile ${dir}/bad.json: defaultAction: unknown seccomp action "SCMP_ACT_NOPE"`);
    t.is(loadDockerProfile(file('ok.json', '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_ERRNO"}]}')).syscalls!.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
