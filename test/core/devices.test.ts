// The devices cgroup from inside a container, on whichever cgroup version the host has: cgroup v1's
// devices controller here, cgroup v2's BPF device program in the QEMU guest lane (which runs this
// file with cgroup2 alone). A char device outside Docker's default list, /dev/kmsg (c 1:11, which
// any root may open for writing), can be made with mknod but not opened; --device and --privileged
// let it through, so the check can fail.

import anyTest, { type TestFn } from 'ava';
import { Supervisor } from '../support/harness.js';
import { e2eSkipReason, when } from '../support/skip.js';

const test = anyTest as TestFn<{ sup: Supervisor }>;
const e2e = when(test, e2eSkipReason);

test.before(async (t) => {
  if (e2eSkipReason) return;
  t.context.sup = await Supervisor.start();
});
test.after.always(async (t) => {
  await t.context.sup?.stop();
});

const WRITE_KMSG = 'mknod /tmp/kmsg c 1 11 && if { printf "<7>engine devices test\\n" > /tmp/kmsg; } 2>/dev/null; then echo opened; else echo refused; fi';

async function kmsg(sup: Supervisor, id: string, flags: string[]): Promise<string> {
  const r = await sup.engine('run', id, await sup.rootfs(), ...flags, '--', '/bin/sh', '-c', WRITE_KMSG);
  if (r.code === 125) throw new Error(`engine run ${id}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

e2e('a device node outside the default list can be made but not opened; --device and --privileged open it', async (t) => {
  const { sup } = t.context;
  t.is(await kmsg(sup, 'dev-default', []), 'refused', 'the devices cgroup refuses the open');
  t.is(await kmsg(sup, 'dev-added', ['--device', '/dev/kmsg']), 'opened', '--device /dev/kmsg allows c 1:11');
  t.is(await kmsg(sup, 'dev-priv', ['--privileged']), 'opened', '--privileged allows every device');
});

e2e('the default devices still work: null, zero, urandom, and a pty', async (t) => {
  const r = await t.context.sup.engine('run', 'dev-ok', await t.context.sup.rootfs(), '--', '/bin/sh', '-c',
    'head -c 4 /dev/zero | od -An -tx1 | tr -d " "; echo x > /dev/null && echo null-ok; head -c 8 /dev/urandom | wc -c; ls /dev/pts/ptmx');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim()), ['00000000', 'null-ok', '8', '/dev/pts/ptmx']);
});
