// Inside a container: its own PID, UTS, mount, IPC, network and cgroup namespaces, pivot_root'ed
// root, minimal /dev, Docker's /proc and /sys (masked and read-only paths), its own cgroups at
// /sys/fs/cgroup, stdin at EOF, only fds 0-2; and the host's mount table is untouched afterwards.
// What the container cannot do with all that is test/core/security.test.ts.

import anyTest, { type TestFn } from 'ava';
import fs from 'node:fs';
import { Supervisor } from '../support/harness.js';
import { e2eSkipReason, when } from '../support/skip.js';

const test = anyTest as TestFn<{ sup: Supervisor }>;
const e2e = when(test, e2eSkipReason);

test.before(async (t) => {
  if (!e2eSkipReason) t.context.sup = await Supervisor.start();
});
test.after.always(async (t) => {
  await t.context.sup?.stop();
});

async function runProbe(sup: Supervisor, id: string, ...args: string[]): Promise<string[]> {
  const rootfs = await sup.rootfs();
  const r = await sup.engine('run', id, rootfs, '/probe', ...args);
  if (r.code !== 0) throw new Error(`run ${id} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trimEnd().split('\n');
}

e2e('the container is PID 1 with the id as hostname', async (t) => {
  const [pid, hostname] = await runProbe(t.context.sup, 'iso-pid', 'pid', 'hostname');
  t.is(pid, '1');
  t.is(hostname, 'iso-pid');
});

e2e('namespaces differ from the host: pid, uts, mnt, ipc, net, cgroup; user and time are the host\'s (no user namespace yet)', async (t) => {
  const lines = await runProbe(t.context.sup, 'iso-ns', 'ns');
  const inside = Object.fromEntries(lines.map((l) => l.split(' ')));
  for (const ns of ['pid', 'uts', 'mnt', 'ipc', 'net', 'cgroup']) {
    const host = fs.readlinkSync(`/proc/self/ns/${ns}`);
    t.truthy(inside[ns], `${ns} namespace visible`);
    t.not(inside[ns], host, `${ns} namespace is the container's own`);
  }
  for (const ns of ['user', 'time']) t.is(inside[ns], fs.readlinkSync(`/proc/self/ns/${ns}`), `${ns}: the host's`);
});

e2e('only stdin, stdout and stderr are open; stdin is at EOF', async (t) => {
  const [fds, stdin] = await runProbe(t.context.sup, 'iso-fds', 'fds', 'stdin');
  t.is(fds, '0 1 2');
  t.is(stdin, 'eof');
});

// Docker's lists: kernel interfaces hidden (an empty tmpfs or /dev/null over them) and made read-only.
const MASKED = ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap'];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** mountinfo lines as { root, mountPoint, options, fsType } */
const parseMounts = (lines: string[]) =>
  lines.map((l) => {
    const [pre, post] = l.split(' - ');
    const f = pre.split(' ');
    return { root: f[3], mountPoint: f[4], options: f[5].split(','), fsType: post.split(' ')[0] };
  });

e2e('the root is pivoted: its own mount table, with Docker\'s /dev, /proc, /sys, masks and read-only paths, and its own cgroups', async (t) => {
  const mounts = parseMounts(await runProbe(t.context.sup, 'iso-mounts', 'mounts'));
  const at = (p: string) => mounts.filter((m) => m.mountPoint === p);
  const fixed = ['/', '/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup'];
  for (const p of fixed) t.is(at(p).length, 1, `${p} mounted once`);
  t.deepEqual([at('/proc')[0].fsType, at('/dev')[0].fsType, at('/dev/mqueue')[0].fsType, at('/sys')[0].fsType], ['proc', 'tmpfs', 'mqueue', 'sysfs']);
  t.true(at('/sys')[0].options.includes('ro'), '/sys read-only');
  t.true(at('/sys/fs/cgroup')[0].options.includes('ro'), '/sys/fs/cgroup read-only');
  // A path that does not exist on this kernel is not masked (nothing to hide); every other one is.
  const masked = MASKED.filter((p) => fs.existsSync(p));
  const readonly = READONLY.filter((p) => fs.existsSync(p));
  // A directory is hidden under an empty read-only tmpfs, a file under the container's /dev/null.
  const hidden = (m: { root: string; options: string[]; fsType: string }) => (m.fsType === 'tmpfs' && m.options.includes('ro')) || m.root === '/null';
  for (const p of masked) t.true(at(p).length === 1 && hidden(at(p)[0]), `${p} masked: ${JSON.stringify(at(p))}`);
  for (const p of readonly) t.true(at(p).some((m) => m.options.includes('ro')), `${p} read-only`);
  // Each cgroup v1 hierarchy of the host, read-only, showing the container's cgroup as its root.
  const cgroups = mounts.filter((m) => m.mountPoint.startsWith('/sys/fs/cgroup/'));
  t.true(cgroups.length > 0);
  for (const m of cgroups) {
    t.is(m.fsType, 'cgroup', m.mountPoint);
    t.true(m.options.includes('ro'), `${m.mountPoint} read-only`);
    t.true(fs.existsSync(m.mountPoint), `${m.mountPoint} is a hierarchy of the host`);
  }
  for (const c of ['memory', 'pids', 'devices']) t.true(cgroups.some((m) => m.mountPoint.split('/').pop()!.split(',').includes(c)), `${c} hierarchy`);
  // Nothing else.
  const expected = new Set([...fixed, ...masked, ...readonly, ...cgroups.map((m) => m.mountPoint)]);
  t.deepEqual(mounts.map((m) => m.mountPoint).filter((p) => !expected.has(p)), []);
  const info = await t.context.sup.inspect('iso-mounts');
  t.is(info.rootMode, 'pivot_root');
});

e2e('a cgroup namespace: /proc/self/cgroup and /sys/fs/cgroup show the container\'s own cgroups as /', async (t) => {
  const sup = t.context.sup;
  const rootfs = await sup.rootfs();
  const r = await sup.engine('run', 'iso-cgns', rootfs, '/bin/sh', '-c', 'cat /proc/self/cgroup; cat /sys/fs/cgroup/pids/pids.max');
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  for (const l of lines.filter((x) => /^\d+:[a-z,]+:/.test(x))) t.regex(l, /:\/$/, `${l}: the namespace's root`);
  t.is(lines.at(-1), 'max', "the container's own pids cgroup (no --pids-limit)");
});

e2e('a minimal /dev with working null, zero and urandom', async (t) => {
  const sup = t.context.sup;
  const rootfs = await sup.rootfs();
  const r = await sup.engine('run', 'iso-dev', rootfs, 'sh -c "ls /dev | tr \\"\\n\\" \\" \\"; echo; head -c 4 /dev/zero | od -An -tx1; head -c 16 /dev/urandom | wc -c; echo x > /dev/null && echo null-ok"');
  t.is(r.code, 0, r.stderr);
  const [devs, zero, urandom, nullOk] = r.stdout.trim().split('\n').map((s) => s.trim());
  for (const d of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'shm']) t.true(devs.split(' ').includes(d), `/dev/${d}`);
  t.is(zero, '00 00 00 00');
  t.is(urandom, '16');
  t.is(nullOk, 'null-ok');
});

e2e('the host mount table is the same after a container ends', async (t) => {
  // Other programs on the machine may mount meanwhile: what must not differ is anything of ours
  // (under the supervisor's directory, where the rootfs is) or anything the container mounts.
  const ours = (text: string) => text.split('\n').filter((l) => l.includes(t.context.sup.dir) || / - (proc|devpts|mqueue|sysfs) /.test(l)).join('\n');
  const before = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  await runProbe(t.context.sup, 'iso-hostmounts', 'mounts');
  const after = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  t.is(ours(after), ours(before));
  if (after !== before) t.log('the host mount table changed meanwhile, outside this test\'s paths');
});

e2e('signals are reset: nothing blocked or ignored in the container', async (t) => {
  const lines = await runProbe(t.context.sup, 'iso-sig', 'sigmask');
  const m = Object.fromEntries(lines.map((l) => l.split(' ')));
  t.is(BigInt('0x' + m.SigBlk), 0n);
  t.is(BigInt('0x' + m.SigIgn), 0n);
});

e2e('--nice and --cpus are applied before exec', async (t) => {
  const sup = t.context.sup;
  const rootfs = await sup.rootfs();
  const r = await sup.engine('run', 'iso-nice', rootfs, '/probe', 'nice', 'cpus', '--nice', '7', '--cpus', '0');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), ['7', '0']);
  const info = await sup.inspect('iso-nice');
  t.is(info.nice, 7);
  t.deepEqual(info.cpus, [0]);
});

e2e('a minimal environment: PATH, HOSTNAME and HOME', async (t) => {
  const env = await runProbe(t.context.sup, 'iso-env', 'env');
  t.true(env.includes('HOSTNAME=iso-env'));
  t.true(env.some((l) => l.startsWith('PATH=/usr/local/sbin:')));
  t.false(env.some((l) => l.startsWith('ENGINE_SOCKET=')), 'nothing of the client or supervisor environment leaks in');
});
