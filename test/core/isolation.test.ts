// Inside a container: its own PID, UTS, mount and IPC namespaces, pivot_root'ed root, minimal
// /dev, stdin at EOF, only fds 0-2; and the host's mount table is untouched afterwards.

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

e2e('namespaces differ from the host: pid, uts, mnt, ipc', async (t) => {
  const lines = await runProbe(t.context.sup, 'iso-ns', 'ns');
  const inside = Object.fromEntries(lines.map((l) => l.split(' ')));
  for (const ns of ['pid', 'uts', 'mnt', 'ipc']) {
    const host = fs.readlinkSync(`/proc/self/ns/${ns}`);
    t.truthy(inside[ns], `${ns} namespace visible`);
    t.not(inside[ns], host, `${ns} namespace is the container's own`);
  }
});

e2e('only stdin, stdout and stderr are open; stdin is at EOF', async (t) => {
  const [fds, stdin] = await runProbe(t.context.sup, 'iso-fds', 'fds', 'stdin');
  t.is(fds, '0 1 2');
  t.is(stdin, 'eof');
});

e2e('the root is pivoted: its own mount table with /, /proc, /dev, /dev/pts and /dev/shm only', async (t) => {
  const lines = await runProbe(t.context.sup, 'iso-mounts', 'mounts');
  const mountPoints = lines.map((l) => l.split(' ')[4]).sort();
  t.deepEqual(mountPoints, ['/', '/dev', '/dev/pts', '/dev/shm', '/proc']);
  const info = await t.context.sup.inspect('iso-mounts');
  t.is(info.rootMode, 'pivot_root');
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
