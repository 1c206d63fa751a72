// The default spec of `engine start/run`: Docker's contained defaults, valid by parseConfig.

import test from 'ava';
import { capabilityMask } from '../../src/security/capabilities.js';
import { defaultSeccomp, defaultSpec, DEFAULT_PATH } from '../../src/spec/defaults.js';
import { parseConfig } from '../../src/spec/validate.js';
import { BARE_HOST } from './helpers.js';

const input = { args: ['/bin/sh', '-c', 'true'], hostname: 'alpha', rootfs: '/srv/rootfs-alpha' };

test('valid as it is, and every call gives a fresh copy', (t) => {
  const a = defaultSpec(input);
  t.deepEqual(parseConfig(a, BARE_HOST), a);
  a.mounts![0].options!.push('changed');
  a.linux!.maskedPaths!.pop();
  const b = defaultSpec(input);
  t.false(b.mounts![0].options!.includes('changed'));
  t.is(b.linux!.maskedPaths!.length, 11);
});

test('process: root, cwd /, PATH HOSTNAME TERM, no supplementary groups, the 14 capabilities', (t) => {
  const p = defaultSpec({ ...input, env: ['FOO=1'] }).process!;
  t.deepEqual(p.user, { uid: 0, gid: 0, additionalGids: [] });
  t.is(p.cwd, '/');
  t.deepEqual(p.env, [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=alpha', 'TERM=xterm', 'FOO=1']);
  t.deepEqual(p.args, input.args);
  for (const set of ['bounding', 'effective', 'permitted'] as const) t.is(capabilityMask(p.capabilities![set]!), 0xa80425fbn, set);
  t.deepEqual(p.capabilities!.inheritable, []);
  t.deepEqual(p.capabilities!.ambient, []);
  t.false(p.noNewPrivileges!);
});

test('mounts: /proc, /dev tmpfs, devpts newinstance, /dev/shm, /dev/mqueue, /sys and its cgroups read-only', (t) => {
  const m = Object.fromEntries(defaultSpec(input).mounts!.map((x) => [x.destination, x]));
  t.deepEqual(Object.keys(m), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']);
  t.is(m['/proc'].type, 'proc');
  t.is(m['/dev'].type, 'tmpfs');
  t.deepEqual(m['/dev/pts'].options, ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
  t.is(m['/dev/shm'].type, 'tmpfs');
  t.is(m['/dev/mqueue'].type, 'mqueue');
  t.is(m['/sys'].type, 'sysfs');
  t.deepEqual(m['/sys'].options, ['nosuid', 'noexec', 'nodev', 'ro']);
  t.is(m['/sys/fs/cgroup'].type, 'cgroup');
  t.true(m['/sys/fs/cgroup'].options!.includes('ro'));
});

test('namespaces, masked and read-only paths', (t) => {
  const l = defaultSpec(input).linux!;
  t.deepEqual(l.namespaces!.map((n) => n.type), ['pid', 'ipc', 'uts', 'mount', 'network']);
  t.true(l.namespaces!.every((n) => !n.path));
  for (const p of ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/proc/latency_stats', '/proc/acpi', '/proc/asound', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap']) {
    t.true(l.maskedPaths!.includes(p), p);
  }
  t.deepEqual(l.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
});

test('devices: six nodes; the cgroup denies all, lets any node be made, opens only the harmless ones', (t) => {
  const l = defaultSpec(input).linux!;
  t.deepEqual(l.devices!.map((d) => `${d.path} ${d.type} ${d.major}:${d.minor} ${d.fileMode!.toString(8)}`), [
    '/dev/null c 1:3 666', '/dev/zero c 1:5 666', '/dev/full c 1:7 666', '/dev/random c 1:8 666', '/dev/urandom c 1:9 666', '/dev/tty c 5:0 666',
  ]);
  const rules = l.resources!.devices!.map((r) => `${r.allow ? 'allow' : 'deny'} ${r.type ?? 'a'} ${r.major ?? '*'}:${r.minor ?? '*'} ${r.access}`);
  t.deepEqual(rules, [
    'deny a *:* rwm', 'allow c *:* m', 'allow b *:* m', 'allow c 1:3 rwm', 'allow c 1:5 rwm', 'allow c 1:7 rwm', 'allow c 1:8 rwm',
    'allow c 1:9 rwm', 'allow c 5:0 rwm', 'allow c 5:1 rwm', 'allow c 5:2 rwm', 'allow c 136:* rwm',
  ]);
  t.false(rules.some((r) => r.startsWith('allow b') && r.includes('r')), 'no block device can be read');
});

test('seccomp: the default profile resolved for the 14 capabilities', (t) => {
  const s = defaultSpec(input).linux!.seccomp!;
  t.deepEqual(s, defaultSeccomp(defaultSpec(input).process!.capabilities!.bounding!));
  t.is(s.defaultAction, 'SCMP_ACT_ERRNO');
  t.false(s.syscalls!.some((r) => r.names.includes('mount')));
});
