// Contained by default (issue 11), proven from inside real containers: each escape a container
// might try fails with the errno the mechanism that stops it gives, and the same attempt gets
// through under --privileged or the matching --cap-add/--security-opt, so every check here can fail.
// The attempts are workloads/probe.c's escape probes: one line each, "ok" or the errno's name.

import anyTest, { type TestFn } from 'ava';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Supervisor } from '../support/harness.js';
import { e2eSkipReason, firstReason, needsTool, when } from '../support/skip.js';
import { hostInterfaces, makeLoopDisk, statusFields, type LoopDisk } from './security-helpers.js';

const test = anyTest as TestFn<{ sup: Supervisor; disk: LoopDisk }>;
const e2e = when(test, e2eSkipReason);
const withDisk = when(test, firstReason(e2eSkipReason, needsTool('losetup'), fs.existsSync('/dev/loop-control') ? null : 'needs loop devices (/dev/loop-control)'));
const withNetns = when(test, firstReason(e2eSkipReason, needsTool('ip')));

test.before(async (t) => {
  if (e2eSkipReason) return;
  t.context.sup = await Supervisor.start();
  if (fs.existsSync('/dev/loop-control')) t.context.disk = await makeLoopDisk(t.context.sup.dir);
});
test.after.always(async (t) => {
  t.context.disk?.detach();
  await t.context.sup?.stop();
});

interface Probed {
  code: number | null;
  lines: string[];
  stderr: string;
}

/** `engine run ID <copy of rootfs-base> FLAGS -- COMMAND...`: exit status and output lines. */
async function run(sup: Supervisor, id: string, flags: string[], command: string[]): Promise<Probed> {
  const rootfs = await sup.rootfs();
  const r = await sup.engine('run', id, rootfs, ...flags, '--', ...command);
  if (r.code === 125) throw new Error(`engine run ${id} ${flags.join(' ')}: ${r.stderr.trim()}`);
  return { code: r.code, lines: r.stdout.trimEnd().split('\n'), stderr: r.stderr };
}

const probe = (sup: Supervisor, id: string, flags: string[], ...args: string[]) => run(sup, id, flags, ['/probe', ...args]);
const sh = (sup: Supervisor, id: string, flags: string[], script: string) => run(sup, id, flags, ['/bin/sh', '-c', script]);

// ---- devices ------------------------------------------------------------------------------------

withDisk('a node of a host disk (a loop device holding a marker) can be made but not opened: EPERM from the devices cgroup', async (t) => {
  const { sup, disk } = t.context;
  const contained = await probe(sup, 'sec-mknod', [], 'mknod-open', '/tmp/hostdisk', String(disk.major), String(disk.minor));
  t.deepEqual(contained.lines, ['EPERM'], 'mknod succeeds (CAP_MKNOD, "m" rule), the open is refused');
  const priv = await sh(sup, 'sec-mknod-priv', ['--privileged'], `mknod /tmp/hostdisk b ${disk.major} ${disk.minor} && head -c ${disk.marker.length} /tmp/hostdisk`);
  t.deepEqual(priv.lines, [disk.marker], '--privileged opens it and reads the marker');
});

withDisk('--device HOST[:CONTAINER] gives the container that one device, readable, and no other', async (t) => {
  const { sup, disk } = t.context;
  const same = await sh(sup, 'sec-device', ['--device', disk.path], `head -c ${disk.marker.length} ${disk.path}`);
  t.deepEqual(same.lines, [disk.marker]);
  const renamed = await sh(sup, 'sec-device-as', ['--device', `${disk.path}:/dev/xvdz`], `head -c ${disk.marker.length} /dev/xvdz; echo; ls ${disk.path} 2>&1 >/dev/null | wc -l`);
  t.deepEqual(renamed.lines, [disk.marker, '1'], 'at the container path only');
  // Another block device (the loop device's neighbour number) stays closed.
  const other = await probe(sup, 'sec-device-other', ['--device', disk.path], 'mknod-open', '/tmp/other', String(disk.major), String(disk.minor + 1));
  t.deepEqual(other.lines, ['EPERM']);
});

// ---- mounts, /proc and /sys ---------------------------------------------------------------------

e2e('mounting a tmpfs is refused (EPERM: seccomp, no CAP_SYS_ADMIN); --cap-add SYS_ADMIN and --privileged allow it', async (t) => {
  const { sup } = t.context;
  t.deepEqual((await probe(sup, 'sec-mount', [], 'mount-tmpfs', '/tmp')).lines, ['EPERM']);
  t.deepEqual((await probe(sup, 'sec-mount-admin', ['--cap-add', 'SYS_ADMIN'], 'mount-tmpfs', '/tmp')).lines, ['ok']);
  t.deepEqual((await probe(sup, 'sec-mount-priv', ['--privileged'], 'mount-tmpfs', '/tmp')).lines, ['ok']);
});

e2e('/proc/sys is read-only (EROFS); --privileged may write it (its own UTS hostname, to the same value)', async (t) => {
  const { sup } = t.context;
  t.deepEqual((await probe(sup, 'sec-procsys', [], 'write-file', '/proc/sys/kernel/hostname', 'sec-procsys')).lines, ['EROFS']);
  t.deepEqual((await probe(sup, 'sec-procsys-p', ['--privileged'], 'write-file', '/proc/sys/kernel/hostname', 'sec-procsys-p', 'hostname')).lines, ['ok', 'sec-procsys-p']);
});

when(test, firstReason(e2eSkipReason, fs.existsSync('/proc/sysrq-trigger') ? null : '/proc/sysrq-trigger does not exist on this kernel'))(
  '/proc/sysrq-trigger is read-only (EROFS)',
  async (t) => {
    // '#' is no sysrq command: even a write that got through would only print the help.
    t.deepEqual((await probe(t.context.sup, 'sec-sysrq', [], 'write-file', '/proc/sysrq-trigger', '#')).lines, ['EROFS']);
  },
);

when(test, firstReason(e2eSkipReason, fs.existsSync('/proc/kcore') ? null : '/proc/kcore does not exist on this kernel'))('/proc/kcore is masked: it reads as empty', async (t) => {
  t.deepEqual((await sh(t.context.sup, 'sec-kcore', [], 'wc -c < /proc/kcore')).lines, ['0']);
});

e2e('masked /proc entries that exist here (/proc/timer_list, /proc/keys) read empty; --privileged and systempaths=unconfined see them', async (t) => {
  const { sup } = t.context;
  const sizes = 'wc -c < /proc/timer_list; wc -c < /proc/keys';
  t.deepEqual((await sh(sup, 'sec-masked', [], sizes)).lines, ['0', '0']);
  for (const [id, flags] of [['sec-masked-p', ['--privileged']], ['sec-masked-u', ['--security-opt', 'systempaths=unconfined']]] as const) {
    const [timerList] = (await sh(sup, id, [...flags], sizes)).lines.map(Number);
    t.true(timerList > 0, `${flags.join(' ')}: /proc/timer_list has ${timerList} bytes`);
  }
});

// ---- network ------------------------------------------------------------------------------------

e2e('--network none (the default): a namespace of its own with only lo; --network host: the host\'s interfaces', async (t) => {
  const { sup } = t.context;
  const before = hostInterfaces();
  t.true(before.some((i) => i !== 'lo'), 'the host has an interface other than lo');
  const own = await probe(sup, 'sec-net', [], 'netifs', 'ns');
  t.is(own.lines[0], 'lo');
  t.not(own.lines.find((l) => l.startsWith('net ')), `net ${fs.readlinkSync('/proc/self/ns/net')}`);
  const host = (await probe(sup, 'sec-net-host', ['--network', 'host'], 'netifs')).lines[0].split(' ');
  const after = hostInterfaces();
  // Another program may add or remove an interface meanwhile: compare with what was there throughout.
  for (const i of before.filter((x) => after.includes(x))) t.true(host.includes(i), `${i} visible with --network host`);
  for (const i of host) t.true(before.includes(i) || after.includes(i), `${i} is a host interface`);
});

withNetns('--network ns:PATH joins a namespace made by ip netns add (its interfaces, its inode)', async (t) => {
  const name = `engine-sec-${process.pid}`;
  execFileSync('ip', ['netns', 'add', name]);
  try {
    // A veth pair inside the namespace (both ends there: nothing on the host changes).
    let veth = true;
    try {
      execFileSync('ip', ['-n', name, 'link', 'add', 'sec0', 'type', 'veth', 'peer', 'name', 'sec1'], { stdio: 'ignore' });
    } catch {
      veth = false;
      t.log('no veth here: only the namespace inode is compared');
    }
    const file = `/run/netns/${name}`;
    const r = await probe(t.context.sup, 'sec-netns', ['--network', `ns:${file}`], 'netifs', 'ns');
    t.is(r.lines.find((l) => l.startsWith('net ')), `net net:[${fs.statSync(file).ino}]`);
    if (veth) t.deepEqual(r.lines[0].split(' ').sort(), ['lo', 'sec0', 'sec1']);
  } finally {
    execFileSync('ip', ['netns', 'delete', name]);
  }
});

// ---- system calls and capabilities --------------------------------------------------------------

e2e('unshare -U is refused (EPERM); seccomp=unconfined and --cap-add SYS_ADMIN allow it', async (t) => {
  const { sup } = t.context;
  t.deepEqual((await probe(sup, 'sec-userns', [], 'unshare', 'user')).lines, ['EPERM']);
  t.deepEqual((await probe(sup, 'sec-userns-u', ['--security-opt', 'seccomp=unconfined'], 'unshare', 'user')).lines, ['ok']);
  t.deepEqual((await probe(sup, 'sec-userns-a', ['--cap-add', 'SYS_ADMIN'], 'unshare', 'user')).lines, ['ok']);
});

e2e('loading a kernel module is refused (EPERM); with --cap-add SYS_MODULE the call reaches the kernel', async (t) => {
  const { sup } = t.context;
  t.deepEqual((await probe(sup, 'sec-module', [], 'init-module', 'finit-module')).lines, ['EPERM', 'EPERM']);
  // The kernel then rejects the bogus image (ENOEXEC), or has no module support at all (ENOSYS, here).
  const allowed = (await probe(sup, 'sec-module-cap', ['--cap-add', 'SYS_MODULE'], 'init-module', 'finit-module')).lines;
  for (const l of allowed) t.regex(l, /^E(?!PERM$)[A-Z]+$/);
});

e2e('setting the clock is refused (EPERM); with --cap-add SYS_TIME the kernel gets the (invalid) value and says EINVAL', async (t) => {
  const { sup } = t.context;
  t.deepEqual((await probe(sup, 'sec-clock', [], 'settime', 'settimeofday', 'adjtime')).lines, ['EPERM', 'EPERM', 'EPERM']);
  t.deepEqual((await probe(sup, 'sec-clock-cap', ['--cap-add', 'SYS_TIME'], 'settime', 'settimeofday', 'adjtime')).lines, ['EINVAL', 'EINVAL', 'EINVAL']);
});

e2e('raising a capability outside the bounding set is refused (EPERM); --privileged holds it', async (t) => {
  const { sup } = t.context;
  t.deepEqual((await probe(sup, 'sec-capset', [], 'capset-add', 'SYS_ADMIN', 'capset-add', 'NET_ADMIN')).lines, ['EPERM', 'EPERM']);
  t.deepEqual((await probe(sup, 'sec-capset-p', ['--privileged'], 'capset-add', 'SYS_ADMIN')).lines, ['ok']);
});

e2e('the shocker attack (open_by_handle_at on inode 2 of the rootfs\'s filesystem) fails (EPERM); --cap-add DAC_READ_SEARCH lets it reach the kernel', async (t) => {
  const { sup } = t.context;
  t.deepEqual((await probe(sup, 'sec-shocker', [], 'open-by-handle')).lines, ['EPERM']);
  // With the capability the filter lets it through too: on ext4 (this host) it opens the host
  // filesystem's root directory ("ok"); on a filesystem without that inode, ESTALE.
  const [line] = (await probe(sup, 'sec-shocker-cap', ['--cap-add', 'DAC_READ_SEARCH'], 'open-by-handle')).lines;
  t.regex(line, /^(ok|ESTALE)$/);
});

e2e('/proc/self/status: the 14 capabilities and Seccomp 2 by default; no-new-privileges; --privileged; --cap-drop ALL', async (t) => {
  const { sup } = t.context;
  const status = async (id: string, flags: string[]) => statusFields((await probe(sup, id, flags, 'security')).lines);
  const dflt = await status('sec-status', []);
  t.like(dflt, { CapBnd: '00000000a80425fb', CapEff: '00000000a80425fb', CapPrm: '00000000a80425fb', CapInh: '0000000000000000', CapAmb: '0000000000000000', NoNewPrivs: '0', Seccomp: '2' });
  t.like(await status('sec-status-nnp', ['--security-opt', 'no-new-privileges']), { NoNewPrivs: '1', Seccomp: '2', CapBnd: '00000000a80425fb' });
  // Privileged: everything the supervisor itself holds (root here lacks CAP_SYS_RESOURCE), no filter.
  const held = fs.readFileSync(`/proc/${sup.pid}/status`, 'utf8').match(/^CapPrm:\s*(\w+)$/m)![1];
  t.like(await status('sec-status-priv', ['--privileged']), { CapBnd: held, CapEff: held, Seccomp: '0', NoNewPrivs: '0' });
  t.like(await status('sec-status-none', ['--cap-drop', 'ALL']), { CapBnd: '0000000000000000', CapEff: '0000000000000000', Seccomp: '2' });
  t.like(await status('sec-status-unconf', ['--security-opt', 'seccomp=unconfined']), { CapBnd: '00000000a80425fb', Seccomp: '0' });
});

e2e('no-new-privileges: a setuid-root program run by a non-root user keeps that user', async (t) => {
  const { sup } = t.context;
  const script = 'cp /probe /tmp/suid-probe && chmod 4755 /tmp/suid-probe && echo ready';
  const withSuid = async (id: string, flags: string[]) => {
    const rootfs = await sup.rootfs();
    const prep = await sup.engine('run', `${id}-prep`, rootfs, '/bin/sh', '-c', script);
    t.is(prep.stdout, 'ready\n', prep.stderr);
    const r = await sup.engine('run', id, rootfs, '--user', 'nobody', ...flags, '--', '/tmp/suid-probe', 'creds');
    return r.stdout.trim();
  };
  t.regex(await withSuid('sec-suid', []), /^uid=65534 euid=0 /, 'without it, setuid works (the control)');
  t.regex(await withSuid('sec-suid-nnp', ['--security-opt', 'no-new-privileges']), /^uid=65534 euid=65534 /);
});

e2e('the default seccomp profile lets busybox, the workloads and a shell pipeline run as they do unconfined', async (t) => {
  const { sup } = t.context;
  // Everyday work: pipes, subshells, background jobs, signals, files, fifos, archives, /proc.
  const script = [
    'echo "b a c" | tr " " "\\n" | sort | tr -d "\\n"; echo',
    'seq 1 2000 | awk "{s+=\\$1} END {print s}"',
    'mkdir -p /tmp/w/d && cd /tmp/w && echo data > d/f && ln -s d/f l && cat l && ls -la d | wc -l',
    'tar -cf /tmp/a.tar -C /tmp/w d && gzip -9 /tmp/a.tar && gunzip -c /tmp/a.tar.gz | tar -tf - | sort | tr "\\n" " "; echo',
    'mkfifo /tmp/fifo && (echo through-fifo > /tmp/fifo &) && cat /tmp/fifo',
    'sleep 30 & kill $! && wait $!; echo "killed $?"',
    'sha256sum /tmp/w/d/f | cut -c1-16',
    'dd if=/dev/zero bs=4096 count=256 2>/dev/null | wc -c',
    'ps -o comm | grep -cx ps',
    'date +%Y >/dev/null && hostname && id -u && test -r /proc/self/status && echo proc-ok',
    '/probe pid ppid cwd fds',
    '/io_pulse 3 0 /tmp/io.out | tail -n 1 | cut -d" " -f1-3',
    '/cpu_hog 1 | tail -n 1 | cut -d" " -f1-2',
    '/memory_hog --max 16 1 0 | tail -n 1',
  ].join('\n');
  const confined = await sh(sup, 'sec-normal', [], script);
  const unconfined = await sh(sup, 'sec-normal-u', ['--security-opt', 'seccomp=unconfined'], script);
  t.is(confined.code, 0, confined.stderr);
  t.is(confined.stderr, '');
  t.deepEqual(
    confined.lines.map((l) => l.replace(/sec-normal(-u)?/, 'ID')),
    unconfined.lines.map((l) => l.replace(/sec-normal(-u)?/, 'ID')),
  );
  t.deepEqual(confined.lines.slice(0, 3), ['abc', '2001000', 'data']);
  t.true(confined.lines.includes('memory_hog reached max total=16MB'));
});

e2e('--security-opt seccomp=PROFILE.json: a Docker-format profile\'s rules apply', async (t) => {
  const { sup } = t.context;
  const file = path.join(sup.dir, 'no-mkdir.json');
  fs.writeFileSync(file, JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
  }));
  const r = await sh(sup, 'sec-profile', ['--security-opt', `seccomp=${file}`], 'mkdir /tmp/x 2>&1; touch /tmp/y && echo touch-ok; grep Seccomp: /proc/self/status');
  t.deepEqual(r.lines, ['mkdir: can\'t create directory \'/tmp/x\': Permission denied', 'touch-ok', 'Seccomp:\t2']);
});

// ---- limits, user, root ---------------------------------------------------------------------------

e2e('--pids-limit: a fork loop stops at the limit with EAGAIN; without one it makes them all', async (t) => {
  const { sup } = t.context;
  // The probe itself is the first of the 20 processes the limit allows.
  t.deepEqual((await probe(sup, 'sec-pids', ['--pids-limit', '20'], 'forkloop', '100')).lines, ['19 EAGAIN']);
  t.deepEqual((await probe(sup, 'sec-pids-none', [], 'forkloop', '100')).lines, ['100 ok']);
});

e2e('--ulimit nofile shows inside; without it the container has the supervisor\'s limit', async (t) => {
  const { sup } = t.context;
  t.deepEqual((await sh(sup, 'sec-ulimit', ['--ulimit', 'nofile=512:1024'], 'ulimit -n; ulimit -Hn')).lines, ['512', '1024']);
  const own = fs.readFileSync(`/proc/${sup.pid}/limits`, 'utf8').match(/^Max open files\s+(\d+)\s+(\d+)/m)!;
  t.deepEqual((await sh(sup, 'sec-ulimit-none', [], 'ulimit -Hn')).lines, [own[2]]);
});

e2e('--user by name from the rootfs\'s /etc/passwd and /etc/group: ids, HOME, no effective capabilities', async (t) => {
  const { sup } = t.context;
  const rootfs = await sup.rootfs();
  fs.appendFileSync(path.join(rootfs, 'etc/passwd'), 'app:x:1234:2345:App:/home/app:/bin/sh\n');
  fs.appendFileSync(path.join(rootfs, 'etc/group'), 'appgrp:x:2345:\nother:x:3456:\n');
  const r = await sup.engine('run', 'sec-user', rootfs, '--user', 'app', '--', '/bin/sh', '-c', 'echo $HOME; /probe creds security');
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.is(lines[0], '/home/app');
  t.is(lines[1], 'uid=1234 euid=1234 suid=1234 gid=2345 egid=2345 sgid=2345 groups=');
  t.like(statusFields(lines.slice(2)), { CapEff: '0000000000000000', CapPrm: '0000000000000000', CapBnd: '00000000a80425fb' });
  const g = await sup.engine('run', 'sec-user-g', rootfs, '--user', 'app:other', '--', '/probe', 'creds');
  t.regex(g.stdout, /^uid=1234 euid=1234 suid=1234 gid=3456 /);
});

e2e('--read-only: / is not writable (EROFS), /tmp is; without it / is writable', async (t) => {
  const { sup } = t.context;
  const script = 'touch /newfile 2>&1 | grep -c "Read-only file system"; touch /tmp/newfile && echo tmp-ok';
  t.deepEqual((await sh(sup, 'sec-ro', ['--read-only'], script)).lines, ['1', 'tmp-ok']);
  t.deepEqual((await probe(sup, 'sec-ro-probe', ['--read-only'], 'write-file', '/etc/passwd', 'x')).lines, ['EROFS']);
  t.deepEqual((await sh(sup, 'sec-rw', [], script)).lines, ['0', 'tmp-ok']);
});

// ---- the runtime's own process --------------------------------------------------------------------

// CVE-2019-5736: while the container's init still runs engine-init, a process of the container
// must not open /proc/1/exe (the runtime's binary). The window is between READY and exec, when
// init waits for the runtime: the supervisor gives no handle on it, so this test drives the
// runtime itself and puts a process of the container into that window with an OCI
// startContainer hook (run by init, in the container, with the container's credentials and
// capabilities, before exec). After exec, the same attempt succeeds: the check can fail.
e2e('the container\'s init is not dumpable until exec: no process of the container can open /proc/1/exe before it', async (t) => {
  const { nativeRuntime } = await import('../../src/runtime/native-runtime.js');
  const { buildSpec } = await import('../../src/spec/from-flags.js');
  const { native } = await import('../../src/native/addon.js');
  const { ContainerCgroup } = await import('../../src/cgroups/container.js');
  const { supervisorCgroupName } = await import('../../src/memory/cgroup-common.js');
  const rootfs = await t.context.sup.rootfs();
  const spec = buildSpec({ args: ['/bin/sh', '-c', 'echo after-exec; /probe read-file /proc/1/exe; cat /proc/1/comm'], hostname: 'sec-dump' }, rootfs);
  spec.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo before-exec; cat /proc/1/comm; /probe read-file /proc/1/exe security; true'] }] };
  const [r, w] = native().pipe();
  const c = await nativeRuntime.spawn({ id: `sec-dump-${process.pid}`, spec, nice: 0, cpus: null, outFd: w });
  fs.closeSync(w);
  try {
    c.release();
    await c.ready;
    await c.go();
    const out: Buffer[] = [];
    for await (const chunk of fs.createReadStream('', { fd: r })) out.push(chunk as Buffer);
    t.like(await c.exited, { exitCode: 0 });
    const lines = Buffer.concat(out).toString().trimEnd().split('\n');
    t.deepEqual(lines.slice(0, 3), ['before-exec', 'memfd:engine-in', 'EACCES'], 'PID 1 is engine-init (from its memfd), and its exe cannot be opened');
    t.like(statusFields(lines.slice(3, 10)), { CapEff: '00000000a80425fb', Seccomp: '2' }, 'the hook runs as the container does');
    t.deepEqual(lines.slice(10), ['after-exec', 'ok', 'cat'], 'after exec, PID 1 (the command) is dumpable');
  } finally {
    await c.cleanup();
    await new ContainerCgroup(supervisorCgroupName(), ['pids', 'devices']).remove();
  }
});

// ---- cost -----------------------------------------------------------------------------------------

e2e('the seccomp filter is compiled once per supervisor and filter, not per container (engine info)', async (t) => {
  const sup = await Supervisor.start();
  try {
    const compiles = async () => (await sup.info()).seccompCompilations;
    t.is(await compiles(), 0);
    for (let i = 0; i < 3; i++) t.is((await sup.engine('run', `sec-cost-${i}`, await sup.linkedRootfs(), '/bin/true')).code, 0);
    t.is(await compiles(), 1, 'three default containers, one compile');
    t.is((await sup.engine('run', 'sec-cost-admin', await sup.linkedRootfs(), '--cap-add', 'SYS_ADMIN', '--', '/bin/true')).code, 0);
    t.is(await compiles(), 2, 'another capability set is another filter (mount allowed)');
    t.is((await sup.engine('run', 'sec-cost-priv', await sup.linkedRootfs(), '--privileged', '--', '/bin/true')).code, 0);
    t.is((await sup.engine('run', 'sec-cost-again', await sup.linkedRootfs(), '/bin/true')).code, 0);
    t.is(await compiles(), 2, 'no filter for --privileged; the default one from the cache');
    t.regex((await sup.engine('info')).stdout, /^seccomp:\s+2 filters compiled \(each once; containers share them\)$/m);
  } finally {
    await sup.stop();
  }
});
