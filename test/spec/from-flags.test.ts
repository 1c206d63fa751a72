// buildSpec: Docker's everyday security flags, their semantics and their one-line errors.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { buildSpec, type BuildOptions, type ContainerFlags } from '../../src/spec/from-flags.js';
import { RLIM_INFINITY, type Device } from '../../src/spec/config.js';
import { capabilityMask } from '../../src/security/capabilities.js';
import { ownHardLimits } from '../../src/spec/own-limits.js';
import { BARE_HOST } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-flags-'));
const rootfs = path.join(dir, 'rootfs');
const outside = path.join(dir, 'outside');
test.before(() => {
  mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(rootfs, 'etc/passwd'), [
    'root:x:0:0:root:/root:/bin/sh',
    '# a comment',
    'app:x:1000:1000:App:/home/app:/bin/sh',
    'broken line',
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  ].join('\n') + '\n');
  writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\nstaff:x:50:app\napp:x:1000:\n');
  writeFileSync(path.join(outside, 'passwd'), 'evil:x:0:0::/:/bin/sh\n');
});
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const FAKE_HOST_DEVICES: Device[] = [
  { type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { type: 'b', path: '/dev/sda', major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6 },
  { type: 'c', path: '/dev/kvm', major: 10, minor: 232, fileMode: 0o660, uid: 0, gid: 0 },
];
const opts: BuildOptions = { lastCap: 40, heldCapabilities: (1n << 41n) - 1n, host: BARE_HOST, hostDevices: () => FAKE_HOST_DEVICES, kernel: { major: 6, minor: 1 }, arch: 'SCMP_ARCH_X86_64' };
const build = (flags: Partial<ContainerFlags> = {}, root = rootfs, o: BuildOptions = opts) =>
  buildSpec({ args: ['/bin/sh'], hostname: 'alpha', ...flags }, root, o);
const message = (flags: Partial<ContainerFlags>, root = rootfs) => {
  try {
    build(flags, root);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};
const caps = (flags: Partial<ContainerFlags>) => build(flags).process!.capabilities!.bounding!;
const seccompAllows = (flags: Partial<ContainerFlags>, name: string) =>
  build(flags).linux!.seccomp!.syscalls!.some((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args && r.names.includes(name));

test('no flags: the default spec, with HOME for root', (t) => {
  const s = build();
  t.is(capabilityMask(s.process!.capabilities!.bounding!), 0xa80425fbn);
  t.true(s.process!.env!.includes('HOME=/root'));
  t.truthy(s.linux!.seccomp);
  t.deepEqual(s.linux!.namespaces!.find((n) => n.type === 'network'), { type: 'network' });
});

test('--cap-add / --cap-drop: with or without CAP_, any case; sets stay equal; inheritable stays empty', (t) => {
  t.true(caps({ capAdd: ['net_admin'] }).includes('CAP_NET_ADMIN'));
  t.true(caps({ capAdd: ['CAP_NET_ADMIN'] }).includes('CAP_NET_ADMIN'));
  t.false(caps({ capDrop: ['Chown'] }).includes('CAP_CHOWN'));
  const s = build({ capAdd: ['SYS_PTRACE'], capDrop: ['NET_RAW'] }).process!.capabilities!;
  t.deepEqual(s.effective, s.bounding);
  t.deepEqual(s.permitted, s.bounding);
  t.deepEqual(s.inheritable, []);
  t.is(s.bounding!.length, 14);
});

test("--cap-drop ALL then --cap-add X keeps only X; --cap-add ALL is everything but the drops; add and drop of one keeps it (Docker's rules)", (t) => {
  t.deepEqual(caps({ capDrop: ['ALL'], capAdd: ['chown'] }), ['CAP_CHOWN']);
  t.deepEqual(caps({ capDrop: ['all'] }), []);
  t.is(caps({ capAdd: ['ALL'] }).length, 41);
  t.is(caps({ capAdd: ['ALL'], capDrop: ['MKNOD'] }).length, 40);
  t.true(caps({ capAdd: ['KILL'], capDrop: ['KILL'] }).includes('CAP_KILL'));
  t.is(build({ capAdd: ['ALL'] }, rootfs, { ...opts, lastCap: 37 }).process!.capabilities!.bounding!.length, 38, 'only what the kernel knows');
});

test('--ulimit above the runtime\'s own hard limit: an error when it lacks CAP_SYS_RESOURCE, fine when it holds it', (t) => {
  const lacking = { ...opts, heldCapabilities: ((1n << 41n) - 1n) & ~(1n << 24n), hardLimits: { RLIMIT_NOFILE: 20000, RLIMIT_CORE: RLIM_INFINITY } };
  t.throws(() => build({ ulimit: ['nofile=1024:20001'] }, rootfs, lacking), {
    message: "--ulimit nofile=1024:20001: the hard limit is above the runtime's own (20000), which it cannot raise without CAP_SYS_RESOURCE",
  });
  t.notThrows(() => build({ ulimit: ['nofile=20000', 'core=-1', 'nproc=99999999'] }, rootfs, lacking), 'at the limit, unlimited where unlimited, unknown ones left to the kernel');
  t.notThrows(() => build({ ulimit: ['nofile=1024:20001'] }, rootfs, { ...lacking, heldCapabilities: (1n << 41n) - 1n }));
});

test('own hard limits are read from /proc/self/limits in resource order', (t) => {
  const text = [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    'Max file size             unlimited            123                  bytes     ',
  ].join('\n');
  t.deepEqual(ownHardLimits(text), { RLIMIT_CPU: RLIM_INFINITY, RLIMIT_FSIZE: 123 });
  t.true((ownHardLimits().RLIMIT_NOFILE ?? 0) > 0, 'this process has a nofile limit');
});

test('unknown capabilities are one-line errors naming the flag', (t) => {
  t.is(message({ capAdd: ['FOO'] }), '--cap-add: unknown capability "FOO"');
  t.is(message({ capDrop: ['CAP_'] }), '--cap-drop: unknown capability "CAP_"');
});

test('a runtime that lacks a capability: --privileged and --cap-add ALL give what it holds; naming the missing one is an error', (t) => {
  const noSysResource = { ...opts, heldCapabilities: ((1n << 41n) - 1n) & ~(1n << 24n) };
  const priv = build({ privileged: true }, rootfs, noSysResource).process!.capabilities!.bounding!;
  t.is(priv.length, 40);
  t.false(priv.includes('CAP_SYS_RESOURCE'));
  t.false(build({ capAdd: ['ALL'] }, rootfs, noSysResource).process!.capabilities!.bounding!.includes('CAP_SYS_RESOURCE'));
  t.throws(() => build({ capAdd: ['sys_resource'] }, rootfs, noSysResource), {
    message: '--cap-add SYS_RESOURCE: the runtime does not hold CAP_SYS_RESOURCE (not in its permitted set, or unknown to this kernel), so it cannot give it',
  });
  t.throws(() => build({ capAdd: ['CHECKPOINT_RESTORE'] }, rootfs, { ...opts, lastCap: 37 }), { message: /--cap-add CHECKPOINT_RESTORE: the runtime does not hold/ });
});

test('seccomp follows the final capabilities: --cap-add SYS_ADMIN lets mount through', (t) => {
  t.false(seccompAllows({}, 'mount'));
  t.true(seccompAllows({ capAdd: ['sys_admin'] }, 'mount'));
  t.false(seccompAllows({ capDrop: ['SYS_CHROOT'] }, 'chroot'));
});

test('--privileged: every capability, no seccomp, no masks, /sys and cgroups writable, all host devices allowed and present', (t) => {
  const s = build({ privileged: true });
  t.is(s.process!.capabilities!.bounding!.length, 41);
  t.is(s.linux!.seccomp, undefined);
  t.deepEqual(s.linux!.maskedPaths, []);
  t.deepEqual(s.linux!.readonlyPaths, []);
  for (const d of ['/sys', '/sys/fs/cgroup']) t.false(s.mounts!.find((m) => m.destination === d)!.options!.includes('ro'), d);
  t.deepEqual(s.linux!.resources!.devices, [{ allow: true, access: 'rwm' }]);
  const paths = s.linux!.devices!.map((d) => d.path);
  t.true(paths.includes('/dev/sda') && paths.includes('/dev/kvm') && paths.includes('/dev/tty'));
  t.is(paths.filter((p) => p === '/dev/null').length, 1, 'host and default nodes merged by path');
});

test('--privileged with a contradicting flag is an error; with a redundant one it is not', (t) => {
  t.is(message({ privileged: true, capDrop: ['chown'] }), '--privileged cannot be combined with --cap-drop: a privileged container keeps every capability');
  t.is(message({ privileged: true, securityOpt: ['seccomp=/p.json'] }), '--privileged cannot be combined with --security-opt seccomp=PROFILE: a privileged container runs without seccomp');
  t.notThrows(() => build({ privileged: true, capAdd: ['ALL'], securityOpt: ['seccomp=unconfined', 'no-new-privileges'] }));
});

test('--security-opt no-new-privileges[:true|false], seccomp=unconfined|builtin, systempaths=unconfined', (t) => {
  t.true(build({ securityOpt: ['no-new-privileges'] }).process!.noNewPrivileges);
  t.true(build({ securityOpt: ['no-new-privileges:true'] }).process!.noNewPrivileges);
  t.true(build({ securityOpt: ['no-new-privileges=true'] }).process!.noNewPrivileges);
  t.false(build({ securityOpt: ['no-new-privileges', 'no-new-privileges:false'] }).process!.noNewPrivileges);
  t.is(build({ securityOpt: ['seccomp=unconfined'] }).linux!.seccomp, undefined);
  t.deepEqual(build({ securityOpt: ['seccomp=unconfined', 'seccomp=builtin'] }).linux!.seccomp, build().linux!.seccomp);
  const s = build({ securityOpt: ['systempaths=unconfined'] });
  t.deepEqual([s.linux!.maskedPaths, s.linux!.readonlyPaths], [[], []]);
});

test('--security-opt errors', (t) => {
  t.is(message({ securityOpt: ['no-new-privileges:maybe'] }), '--security-opt no-new-privileges:maybe: expected no-new-privileges, no-new-privileges:true or no-new-privileges:false');
  t.is(message({ securityOpt: ['seccomp='] }), '--security-opt seccomp=: expected seccomp=unconfined, seccomp=builtin or seccomp=PROFILE.json');
  t.is(message({ securityOpt: ['apparmor=docker-default'] }), '--security-opt apparmor=docker-default: AppArmor profiles are not supported by engine');
  t.is(message({ securityOpt: ['frobnicate'] }), '--security-opt: unknown option "frobnicate" (expected no-new-privileges[:true|false], seccomp=unconfined|builtin|PROFILE.json, systempaths=unconfined)');
  t.is(message({ securityOpt: [`seccomp=${dir}/none.json`] }), `--security-opt seccomp=${dir}/none.json: cannot read it: ENOENT`);
});

test('--security-opt seccomp=PROFILE.json: a Docker profile, resolved against the capabilities', (t) => {
  const file = path.join(dir, 'profile.json');
  writeFileSync(file, JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['mount'], action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['keyctl'], action: 'SCMP_ACT_KILL_PROCESS' },
    ],
  }));
  const plain = build({ securityOpt: [`seccomp=${file}`] }).linux!.seccomp!;
  t.deepEqual(plain, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }, { names: ['keyctl'], action: 'SCMP_ACT_KILL_PROCESS' }] });
  const admin = build({ capAdd: ['SYS_ADMIN'], securityOpt: [`seccomp=${file}`] }).linux!.seccomp!;
  t.deepEqual(admin.syscalls!.map((s) => s.names[0]), ['keyctl']);
  writeFileSync(path.join(dir, 'broken.json'), '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]}');
  t.is(message({ securityOpt: [`seccomp=${dir}/broken.json`] }), `--security-opt seccomp=${dir}/broken.json: architectures[0]: unknown seccomp architecture "SCMP_ARCH_VAX"`);
});

test('--network none (the default) is a new namespace; host shares; ns:PATH joins a network namespace', (t) => {
  const net = (network?: string) => build({ network }).linux!.namespaces!.find((n) => n.type === 'network');
  t.deepEqual(net(undefined), { type: 'network' });
  t.deepEqual(net('none'), { type: 'network' });
  t.is(net('host'), undefined);
  t.deepEqual(net('ns:/proc/self/ns/net'), { type: 'network', path: '/proc/self/ns/net' });
});

test('--network errors: not a network namespace, not a namespace, missing, relative, unknown mode', (t) => {
  t.is(message({ network: 'ns:/proc/self/ns/pid' }), '--network ns:/proc/self/ns/pid: /proc/self/ns/pid is a pid namespace, not a network namespace');
  t.is(message({ network: `ns:${rootfs}/etc/passwd` }), `--network ns:${rootfs}/etc/passwd: ${rootfs}/etc/passwd is not a namespace file (not on nsfs)`);
  t.is(message({ network: `ns:${dir}/gone` }), `--network ns:${dir}/gone: ${dir}/gone: ENOENT`);
  t.is(message({ network: 'ns:run/netns/x' }), '--network ns:run/netns/x: the namespace path must be absolute');
  t.is(message({ network: 'bridge' }), '--network: unknown mode "bridge" (expected none, host or ns:PATH)');
});

test('--network ns:PATH on a FIFO answers at once (nothing is opened before the nsfs check)', (t) => {
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  t.is(message({ network: `ns:${fifo}` }), `--network ns:${fifo}: ${fifo} is not a namespace file (not on nsfs)`);
});

test('--device HOST[:CONTAINER][:PERMS]: the node is created and allowed in the devices cgroup', (t) => {
  const s = build({ device: ['/dev/null:/dev/mynull:r', '/dev/zero:rw'] });
  t.deepEqual(s.linux!.devices!.find((d) => d.path === '/dev/mynull'), { type: 'c', path: '/dev/mynull', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 });
  const rules = s.linux!.resources!.devices!;
  t.deepEqual(rules.at(-2), { allow: true, type: 'c', major: 1, minor: 3, access: 'r' });
  t.deepEqual(rules.at(-1), { allow: true, type: 'c', major: 1, minor: 5, access: 'rw' });
  const block = build({ device: ['/dev/fake-disk'] }, rootfs, { ...opts, deviceAt: (_f, dest) => ({ type: 'b', path: dest, major: 7, minor: 3 }) });
  t.deepEqual(block.linux!.resources!.devices!.at(-1), { allow: true, type: 'b', major: 7, minor: 3, access: 'rwm' });
});

test('--device errors: not a device, missing, relative, bad permissions', (t) => {
  t.is(message({ device: [rootfs] }), `--device ${rootfs}: ${rootfs} is not a character or block device`);
  t.is(message({ device: ['/dev/nonexistent-engine'] }), '--device /dev/nonexistent-engine: /dev/nonexistent-engine: ENOENT');
  t.is(message({ device: ['dev/null'] }), '--device dev/null: the host path must be absolute');
  t.is(message({ device: ['/dev/null:null'] }), '--device /dev/null:null: the container path must be absolute');
  t.is(message({ device: ['/dev/null:/dev/n:rwx'] }), '--device /dev/null:/dev/n:rwx: permissions must be some of r, w and m, got "rwx"');
  t.is(message({ device: ['/dev/null::r'] }), '--device /dev/null::r: expected HOST[:CONTAINER][:PERMS]');
});

test('--pids-limit N; 0 and -1 are unlimited; anything else is an error', (t) => {
  t.deepEqual(build({ pidsLimit: '100' }).linux!.resources!.pids, { limit: 100 });
  t.deepEqual(build({ pidsLimit: 0 }).linux!.resources!.pids, { limit: -1 });
  t.deepEqual(build({ pidsLimit: '-1' }).linux!.resources!.pids, { limit: -1 });
  t.is(build().linux!.resources!.pids, undefined);
  for (const bad of ['x', '-5', '1.5', '']) t.is(message({ pidsLimit: bad }), `--pids-limit: expected a positive integer, or -1 for unlimited, got ${JSON.stringify(bad)}`);
});

test('--ulimit name=soft[:hard]: Docker names, -1 for unlimited, hard defaults to soft, a later one wins', (t) => {
  const r = (...ulimit: string[]) => build({ ulimit }).process!.rlimits;
  t.deepEqual(r('nofile=1024'), [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }]);
  t.deepEqual(r('nofile=1024:2048', 'core=-1'), [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }, { type: 'RLIMIT_CORE', soft: RLIM_INFINITY, hard: RLIM_INFINITY }]);
  t.deepEqual(r('nproc=10:-1'), [{ type: 'RLIMIT_NPROC', soft: 10, hard: RLIM_INFINITY }]);
  t.deepEqual(r('NOFILE=5', 'nofile=6'), [{ type: 'RLIMIT_NOFILE', soft: 6, hard: 6 }]);
  t.deepEqual(r('as=1', 'memlock=2', 'stack=3', 'rttime=4', 'sigpending=5', 'msgqueue=6', 'nice=7', 'rtprio=8', 'locks=9', 'cpu=10', 'data=11', 'fsize=12', 'rss=13')!.length, 13);
});

test('--ulimit errors', (t) => {
  t.is(message({ ulimit: ['nofile=2048:1024'] }), '--ulimit nofile=2048:1024: the soft limit is above the hard limit');
  t.is(message({ ulimit: ['nofile=-1:1024'] }), '--ulimit nofile=-1:1024: the soft limit is above the hard limit');
  t.is(message({ ulimit: ['bogus=1'] }), '--ulimit bogus=1: unknown limit "bogus" (expected one of cpu, fsize, data, stack, core, rss, nproc, nofile, memlock, as, locks, sigpending, msgqueue, nice, rtprio, rttime)');
  t.is(message({ ulimit: ['nofile=abc'] }), '--ulimit nofile=abc: "abc" is not a number (use -1 for unlimited)');
  t.is(message({ ulimit: ['nofile=-2'] }), '--ulimit nofile=-2: -2 is out of range (0-9007199254740991, or -1 for unlimited)');
  t.is(message({ ulimit: ['nofile'] }), '--ulimit nofile: expected NAME=SOFT[:HARD], e.g. nofile=1024:2048');
});

test("--user: names and numbers from the rootfs's /etc/passwd and /etc/group; groups cleared; HOME set", (t) => {
  const u = (user: string) => {
    const p = build({ user }).process!;
    return [p.user.uid, p.user.gid, p.user.additionalGids, p.env!.find((e) => e.startsWith('HOME='))];
  };
  t.deepEqual(u('app'), [1000, 1000, [], 'HOME=/home/app']);
  t.deepEqual(u('app:staff'), [1000, 50, [], 'HOME=/home/app']);
  t.deepEqual(u('1000'), [1000, 1000, [], 'HOME=/home/app']);
  t.deepEqual(u('4242'), [4242, 0, [], 'HOME=/']);
  t.deepEqual(u('4242:7'), [4242, 7, [], 'HOME=/']);
  t.deepEqual(u('nobody:0'), [65534, 0, [], 'HOME=/nonexistent']);
  t.deepEqual(u('root'), [0, 0, [], 'HOME=/root']);
});

test('--user errors', (t) => {
  t.is(message({ user: 'ghost' }), '--user: no user "ghost" in the rootfs\'s /etc/passwd');
  t.is(message({ user: 'app:ghosts' }), '--user: no group "ghosts" in the rootfs\'s /etc/group');
  t.is(message({ user: ':1' }), '--user: missing user in ":1"');
  t.is(message({ user: 'app:' }), '--user: missing group after ":" in "app:"');
  t.is(message({ user: '2147483648' }), '--user: uid 2147483648 is out of range (0-2147483647)');
  t.is(message({ user: 'app' }, path.join(dir, 'empty-rootfs')), '--user: no user "app" in the rootfs\'s /etc/passwd');
  t.deepEqual(build({ user: '5:6' }, path.join(dir, 'empty-rootfs')).process!.user, { uid: 5, gid: 6, additionalGids: [] });
});

test("--user never reads the host's files: symlinks resolve inside the rootfs, a FIFO is refused at once", (t) => {
  for (const [name, target] of [['abs', '/../../../outside/passwd'], ['rel', '../../../../../outside/passwd'], ['host', path.join(outside, 'passwd')]] as const) {
    const root = path.join(dir, `evil-${name}`);
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    symlinkSync(target, path.join(root, 'etc/passwd'));
    t.is(message({ user: 'evil' }, root), '--user: no user "evil" in the rootfs\'s /etc/passwd', name);
  }
  const fifoRoot = path.join(dir, 'fifo-rootfs');
  mkdirSync(path.join(fifoRoot, 'etc'), { recursive: true });
  execFileSync('mkfifo', [path.join(fifoRoot, 'etc/passwd')]);
  t.is(message({ user: 'app' }, fifoRoot), "--user: cannot read the rootfs's /etc/passwd: /etc/passwd is not a regular file");
  const loopRoot = path.join(dir, 'loop-rootfs');
  mkdirSync(path.join(loopRoot, 'etc'), { recursive: true });
  symlinkSync('/etc/passwd', path.join(loopRoot, 'etc/passwd'));
  t.is(message({ user: 'app' }, loopRoot), "--user: cannot read the rootfs's /etc/passwd: /etc/passwd: too many levels of symbolic links");
});

test('--read-only: a read-only root with a writable /tmp tmpfs', (t) => {
  const s = build({ readOnly: true });
  t.true(s.root!.readonly);
  t.deepEqual(s.mounts!.at(-1), { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
  t.false(build().root!.readonly);
});

test('the result is validated like any config.json', (t) => {
  t.is(message({ args: [] }), 'process.args: must name a program to run');
  // An env entry is refused first as the flag it came from (env.ts), before the spec check.
  t.is(message({ env: ['NOEQUALS'] }), '--env "NOEQUALS": expected NAME=VALUE');
});
