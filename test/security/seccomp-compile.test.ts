// From OCI seccomp to BPF: rule shaping (as runc does), libseccomp through the addon, the cache.

import test from 'ava';
import { compileCount, compileSeccomp, describeFilter } from '../../src/security/seccomp-compile.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/security/capabilities.js';
import { defaultSeccomp } from '../../src/spec/defaults.js';
import type { Seccomp } from '../../src/spec/config.js';
import { native } from '../../src/native/addon.js';

const ALLOW = 0x7fff0000;
const ERRNO = (e: number) => 0x00050000 | e;

test('rules: names expanded, default-action rules dropped, two conditions on one argument become two rules', (t) => {
  const d = describeFilter({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mount'], action: 'SCMP_ACT_ERRNO' }, // same as the default: EPERM
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }, { index: 1, value: 3, op: 'SCMP_CMP_LE' }] },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ],
  });
  t.is(d.defaultAction, ERRNO(1));
  t.deepEqual(d.arches, ['x86_64', 'x32']);
  t.deepEqual(d.rules.map((r) => [r.name, r.action, r.args.length]), [
    ['read', ALLOW, 0], ['write', ALLOW, 0], ['personality', ALLOW, 1], ['personality', ALLOW, 1], ['socket', ALLOW, 2], ['clone3', ERRNO(38), 0],
  ]);
  t.deepEqual(d.rules[4].args, [{ index: 0, op: 1, value: 40n, valueTwo: 0n }, { index: 1, op: 3, value: 3n, valueTwo: 0n }]);
});

test('the default profile compiles to a BPF program that starts by checking the architecture', (t) => {
  const { program, flags } = compileSeccomp(defaultSeccomp(DOCKER_DEFAULT_CAPABILITIES));
  t.is(flags, 0);
  t.is(program.length % 8, 0, 'struct sock_filter is 8 bytes');
  const insns = program.length / 8;
  t.true(insns > 100 && insns <= 4096, `${insns} instructions (the kernel takes at most 4096)`);
  // BPF_LD | BPF_W | BPF_ABS of seccomp_data.arch (offset 4)
  t.is(program.readUInt16LE(0), 0x20);
  t.is(program.readUInt32LE(4), 4);
  t.log(`default profile: ${insns} BPF instructions`);
});

test('one filter is compiled once per process; another capability set is another filter', (t) => {
  const before = compileCount();
  const a = compileSeccomp(defaultSeccomp(DOCKER_DEFAULT_CAPABILITIES));
  const b = compileSeccomp(defaultSeccomp([...DOCKER_DEFAULT_CAPABILITIES]));
  t.is(a.program, b.program, 'the same Buffer');
  t.true(compileCount() - before <= 1);
  const admin = compileSeccomp(defaultSeccomp([...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']));
  t.not(admin.program, a.program);
  t.false(admin.program.equals(a.program));
});

test('a system call this libseccomp does not know is skipped, as runc does', (t) => {
  const known: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }] };
  const withUnknown: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['no_such_call_at_all', 'mount'], action: 'SCMP_ACT_ERRNO' }] };
  t.true(compileSeccomp(withUnknown).program.equals(compileSeccomp(known).program));
});

test('flags become SECCOMP_FILTER_FLAG_* bits', (t) => {
  const f = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] });
  t.is(f.flags, 2 | 4);
});

test('what libseccomp refuses is a thrown error naming the call, not a crash', (t) => {
  const addon = native();
  const rule = (index: number) => ({ name: 'read', action: ERRNO(1), args: [{ index, op: 4, value: 0n, valueTwo: 0n }] });
  const err = t.throws(() => addon.compileSeccomp({ defaultAction: ALLOW, arches: [], rules: [rule(7)] }));
  t.regex(err!.message, /^seccomp_rule_add read: EINVAL/);
  t.is((err as NodeJS.ErrnoException).code, 'EINVAL');
  t.is(t.throws(() => addon.compileSeccomp({ defaultAction: ALLOW, arches: ['z80'], rules: [] }))?.message, 'seccomp: libseccomp does not know the architecture z80');
  t.throws(() => addon.compileSeccomp(undefined), { instanceOf: TypeError });
  t.true(addon.compileSeccomp({ defaultAction: ALLOW, arches: [], rules: [rule(5)] }).length > 0);
});
