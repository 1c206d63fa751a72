// The compiled default profile, installed for real (no_new_privs + seccomp(2), as the container's
// child will), blocks and allows what it should. The probe reports each attempt's errno.

import test from 'ava';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { compileSeccomp } from '../../src/security/seccomp-compile.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/security/capabilities.js';
import { defaultSeccomp } from '../../src/spec/defaults.js';
import { ensureHelpers, isRoot, probeUnder, tempDir, writeProgram } from './helpers.js';
import { when } from '../support/skip.js';

const dir = tempDir('seccomp');
let defaultFilter = '';
let adminFilter = '';
let allowAll = '';

test.before(() => {
  ensureHelpers();
  defaultFilter = writeProgram(dir, 'default.bpf', compileSeccomp(defaultSeccomp(DOCKER_DEFAULT_CAPABILITIES)).program);
  adminFilter = writeProgram(dir, 'admin.bpf', compileSeccomp(defaultSeccomp([...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'])).program);
  allowAll = writeProgram(dir, 'allow.bpf', compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }).program);
});
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the probe under a filter and returns its lines, one per attempt. */
async function attempts(filter: string, args: string[]): Promise<string[]> {
  const r = await probeUnder(filter, args);
  if (r.code === 125 || r.signal) throw new Error(`seccomp-exec failed (${r.code ?? r.signal}): ${r.stderr}`);
  return r.stdout.trimEnd().split('\n');
}

test('the default profile refuses mount, keyctl, unshare(CLONE_NEWUSER), clone(CLONE_NEWNS) and the escape calls with EPERM', async (t) => {
  const lines = await attempts(defaultFilter, [
    'mount-tmpfs', dir, 'keyctl', 'unshare', 'user', 'unshare', 'mnt', 'clone', 'mnt', 'clone', 'user,pid',
    'open-by-handle', dir, 'name-to-handle', '/', 'init-module', 'finit-module', 'settime', 'settimeofday',
    'mknod-open', path.join(dir, 'loop'), '7', '0',
  ]);
  t.deepEqual(lines, ['EPERM', 'EPERM', 'EPERM', 'EPERM', 'EPERM', 'EPERM', 'EPERM', 'EPERM', 'EPERM', 'EPERM', 'EPERM', 'EPERM',
    // mknod is not seccomp's to refuse (the devices cgroup decides what may be opened)
    isRoot ? 'ok' : 'mknod EPERM']);
});

test('the default profile lets ordinary work through: getpid, read, write, fork, clone without namespace flags, sockets', async (t) => {
  const r = await probeUnder(defaultFilter, ['pid', 'read-file', '/proc/self/status', 'write', '64', 'clone', 'none', 'forkloop', '3', 'netifs', 'security']);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  t.regex(lines[0], /^\d+$/, 'getpid');
  t.is(lines[1], 'ok', 'open + read');
  t.is(lines[2] + '\n', '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n', 'write');
  t.is(lines[3], 'ok', 'clone(SIGCHLD)');
  t.is(lines[4], '3 ok', 'fork');
  t.regex(lines[5], /\blo\b/, 'a netlink socket lists the interfaces');
  t.true(lines.includes('NoNewPrivs 1'));
  t.true(lines.includes('Seccomp 2'), 'a filter is installed');
});

test('clone3 says ENOSYS (libc then falls back to clone); with CAP_SYS_ADMIN it is allowed', async (t) => {
  t.deepEqual(await attempts(defaultFilter, ['clone3']), ['ENOSYS']);
  t.deepEqual(await attempts(adminFilter, ['clone3']), ['ok']);
});

test('adjtimex is left to the kernel, which checks CAP_SYS_TIME itself', async (t) => {
  // The probe asks for an invalid tick: EINVAL means it got past seccomp and the capability check
  // (this process has CAP_SYS_TIME as root) to the value check; nothing is changed either way.
  t.deepEqual(await attempts(defaultFilter, ['adjtime']), [isRoot ? 'EINVAL' : 'EPERM']);
});

when(test, isRoot ? null : 'needs root')('with CAP_SYS_ADMIN in the set the same profile lets mount and namespaces through', async (t) => {
  t.deepEqual(await attempts(adminFilter, ['mount-tmpfs', dir, 'unshare', 'mnt', 'clone', 'mnt', 'keyctl']), ['ok', 'ok', 'ok', 'EPERM']);
});

when(test, isRoot ? null : 'needs root')('control: without a filter the same probes succeed as root', async (t) => {
  // In a private mount and UTS namespace (seccomp-exec --private), so nothing reaches the host.
  const lines = await attempts(allowAll, ['mount-tmpfs', dir, 'keyctl', 'unshare', 'user', 'clone', 'mnt', 'clone3', 'settime']);
  t.deepEqual(lines, ['ok', 'ok', 'ok', 'ok', 'ok', 'EINVAL']);
});

const x64 = process.arch === 'x64';
const onX64 = when(test, x64 ? null : 'not x86_64');

onX64('the x32 ABI is filtered too: keyctl through it is EPERM, getpid passes on to the kernel', async (t) => {
  // Without x32 support in the kernel the passed-on call says ENOSYS; with it, ok.
  const [keyctl, getpid] = await attempts(defaultFilter, ['x32', '250', 'x32', '39']);
  t.is(keyctl, 'EPERM');
  t.regex(getpid, /^(ok|ENOSYS)$/);
});

onX64('the i386 ABI (int $0x80) is filtered too, where the kernel has it', async (t) => {
  const [getpid, keyctl, unshare] = await attempts(defaultFilter, ['int80', '20', 'int80', '288', 'int80', '310', String(0x10000000)]);
  if (getpid === 'SIGSEGV') {
    t.log('this kernel has no i386 ABI (int $0x80 faults): nothing to get around the filter with');
    t.deepEqual([keyctl, unshare], ['SIGSEGV', 'SIGSEGV']);
    return;
  }
  t.deepEqual([getpid, keyctl, unshare], ['ok', 'EPERM', 'EPERM']);
});
