// Bad security flags of `engine start/run` (issue 11): each is one line on stderr that names the
// flag, exit 125, decided before anything is created: no record in `ps`, no log file, no cgroup
// under the supervisor's engine-<pid>.* directories, and the rootfs free for the next container.

import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Supervisor } from '../support/harness.js';
import { until } from '../support/process.js';
import { e2eSkipReason, firstReason, when } from '../support/skip.js';
import { containerCgroups } from './security-helpers.js';

type Ctx = { sup: Supervisor; files: string };
const test = anyTest as TestFn<Ctx>;
const e2e = when(test, e2eSkipReason);

test.before(async (t) => {
  if (e2eSkipReason) return;
  const sup = (t.context.sup = await Supervisor.start());
  const files = (t.context.files = path.join(sup.dir, 'files'));
  fs.mkdirSync(path.join(files, 'a-directory.json'), { recursive: true });
  execFileSync('mkfifo', [path.join(files, 'fifo.json')]);
  const write = (name: string, text: string) => fs.writeFileSync(path.join(files, name), text);
  write('not-json.json', '{nope');
  write('bad-action.json', '{"defaultAction": "SCMP_ACT_NOPE"}');
  write('bad-arch.json', '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]}');
  write('bad-cap.json', '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_FLY"]}}]}');
  write('ok.json', '{"defaultAction": "SCMP_ACT_ALLOW"}');
  write('plain-file', '');
});
test.after.always(async (t) => {
  await t.context.sup?.stop();
});

let n = 0;

/** Each case: exit 125, one line naming the flag, nothing on stdout, nothing left behind. */
async function refused(t: ExecutionContext<Ctx>, cases: Array<[string[], RegExp]>): Promise<void> {
  const { sup } = t.context;
  const rootfs = await sup.rootfs();
  for (const [flags, pattern] of cases) {
    const id = `bad-sec-${++n}`;
    const r = await sup.engine('run', id, rootfs, '/bin/true', ...flags);
    const what = flags.join(' ');
    t.is(r.code, 125, `${what}: ${r.stderr}`);
    t.regex(r.stderr.trimEnd(), pattern, what);
    t.is(r.stderr.trimEnd().split('\n').length, 1, `${what}: one line`);
    t.is(r.stdout, '', what);
    t.deepEqual(await leftovers(sup, id), [], `${what}: nothing left`);
  }
  // The rootfs was never taken: a good container runs on it now.
  t.is((await sup.engine('run', `bad-sec-ok-${++n}`, rootfs, '/bin/true')).code, 0);
}

/** What a container `id` left behind: its record, log file and cgroup directories. */
async function leftovers(sup: Supervisor, id: string): Promise<string[]> {
  const ps = JSON.parse((await sup.engine('ps', '--json')).stdout) as Array<{ id: string }>;
  const log = path.join(sup.stateDir, 'logs', `${id}.log`);
  return [...(ps.some((c) => c.id === id) ? [`record ${id}`] : []), ...(fs.existsSync(log) ? [log] : []), ...containerCgroups(sup.pid, id)];
}

const ENGINE = '^engine: ';

e2e('the leftover check sees a live container (record, log, cgroups) and nothing once it is removed', async (t) => {
  const { sup } = t.context;
  const rootfs = await sup.rootfs();
  t.is((await sup.engine('start', 'bad-sec-live', rootfs, '/probe', 'hold')).code, 0);
  const live = await leftovers(sup, 'bad-sec-live');
  t.true(live.includes('record bad-sec-live'));
  t.true(live.some((p) => p.endsWith('bad-sec-live.log')));
  t.true(live.filter((p) => p.includes('/engine-')).length >= 2, `cgroups of the container: ${live.join(', ')}`);
  await sup.engine('stop', 'bad-sec-live', '-t', '0');
  await sup.engine('rm', 'bad-sec-live');
  // rm answers once the record and log are gone; the cgroups go when the exit is recorded.
  await until('nothing left of bad-sec-live', async () => (await leftovers(sup, 'bad-sec-live')).length === 0);
  t.deepEqual(await leftovers(sup, 'bad-sec-live'), []);
});

e2e('capabilities: an unknown name for --cap-add or --cap-drop', async (t) => {
  await refused(t, [
    [['--cap-add', 'FOO'], new RegExp(`${ENGINE}--cap-add: unknown capability "FOO"$`)],
    [['--cap-add', 'CAP_'], /--cap-add: unknown capability "CAP_"/],
    [['--cap-drop', 'CAP_NOPE'], /--cap-drop: unknown capability "CAP_NOPE"/],
  ]);
});

const supervisorLacks = (cap: number) => {
  const m = /^CapPrm:\s*(\w+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m !== null && ((BigInt(`0x${m[1]}`) >> BigInt(cap)) & 1n) === 0n;
};
const lacksSysResource = supervisorLacks(24);

when(test, firstReason(e2eSkipReason, lacksSysResource ? null : 'root here holds CAP_SYS_RESOURCE: it can give any capability and raise any limit'))(
  'a capability or a hard limit the supervisor cannot give (it lacks CAP_SYS_RESOURCE)',
  async (t) => {
    await refused(t, [
      [['--cap-add', 'SYS_RESOURCE'], /--cap-add SYS_RESOURCE: the runtime does not hold CAP_SYS_RESOURCE/],
      [['--ulimit', 'nofile=1024:100000000'], /--ulimit nofile=1024:100000000: the hard limit is above the runtime's own \(\d+\), which it cannot raise without CAP_SYS_RESOURCE/],
    ]);
  },
);

e2e('seccomp profiles: missing, a directory, a FIFO, not JSON, an unknown action, architecture or capability', async (t) => {
  const f = (name: string) => path.join(t.context.files, name);
  const opt = (name: string) => ['--security-opt', `seccomp=${f(name)}`];
  const named = (name: string, rest: string) => new RegExp(`${ENGINE}--security-opt seccomp=${f(name).replace(/[.]/g, '\\.')}: ${rest}$`);
  await refused(t, [
    [opt('missing.json'), named('missing.json', 'cannot read it: ENOENT')],
    [opt('a-directory.json'), named('a-directory.json', 'cannot read it: not a regular file')],
    [opt('fifo.json'), named('fifo.json', 'cannot read it: not a regular file')],
    [opt('not-json.json'), named('not-json.json', 'not valid JSON at line 1 column 2')],
    [opt('bad-action.json'), named('bad-action.json', 'defaultAction: unknown seccomp action "SCMP_ACT_NOPE"')],
    [opt('bad-arch.json'), named('bad-arch.json', 'architectures\\[0\\]: unknown seccomp architecture "SCMP_ARCH_PDP11"')],
    [opt('bad-cap.json'), named('bad-cap.json', 'syscalls\\[0\\]\\.includes\\.caps\\[0\\]: unknown capability "CAP_FLY"')],
  ]);
  t.truthy(await t.context.sup.ping(), 'the supervisor still answers (the FIFO did not block it)');
});

e2e('--security-opt: unknown options and values', async (t) => {
  await refused(t, [
    [['--security-opt', 'bogus'], /--security-opt: unknown option "bogus"/],
    [['--security-opt', 'no-new-privileges:maybe'], /--security-opt no-new-privileges:maybe: expected/],
    [['--security-opt', 'seccomp='], /--security-opt seccomp=: expected/],
    [['--security-opt', 'apparmor=docker-default'], /--security-opt apparmor=docker-default: AppArmor profiles are not supported/],
    [['--security-opt', 'systempaths=open'], /--security-opt systempaths=open: expected systempaths=unconfined/],
  ]);
});

e2e('--ulimit: not a number, an unknown limit, soft above hard, no value', async (t) => {
  await refused(t, [
    [['--ulimit', 'nofile=abc'], /--ulimit nofile=abc: "abc" is not a number/],
    [['--ulimit', 'bogus=1'], /--ulimit bogus=1: unknown limit "bogus"/],
    [['--ulimit', 'nofile=10:5'], /--ulimit nofile=10:5: the soft limit is above the hard limit/],
    [['--ulimit', 'nofile'], /--ulimit nofile: expected NAME=SOFT\[:HARD\]/],
  ]);
});

e2e('--user: a name or group that the rootfs does not have', async (t) => {
  await refused(t, [
    [['--user', 'nosuchuser'], /--user: no user "nosuchuser" in the rootfs's \/etc\/passwd/],
    [['--user', '0:nosuchgroup'], /--user: no group "nosuchgroup" in the rootfs's \/etc\/group/],
  ]);
});

e2e('--network: a path that is not a network namespace, an unknown mode', async (t) => {
  const plain = path.join(t.context.files, 'plain-file');
  await refused(t, [
    [['--network', 'ns:/proc/self/ns/pid'], /--network ns:\/proc\/self\/ns\/pid: \/proc\/self\/ns\/pid is a pid namespace, not a network namespace/],
    [['--network', `ns:${plain}`], /--network ns:\S+: \S+plain-file is not a namespace file \(not on nsfs\)/],
    [['--network', `ns:${plain}-missing`], /--network ns:\S+: \S+plain-file-missing: ENOENT/],
    [['--network', 'bridge'], /--network: unknown mode "bridge" \(expected none, host or ns:PATH\)/],
  ]);
});

e2e('--privileged with a contradicting flag', async (t) => {
  await refused(t, [
    [['--privileged', '--cap-drop', 'CHOWN'], /--privileged cannot be combined with --cap-drop/],
    [['--privileged', '--security-opt', `seccomp=${path.join(t.context.files, 'ok.json')}`], /--privileged cannot be combined with --security-opt seccomp=PROFILE/],
  ]);
});

e2e('--device and --pids-limit: not a device, missing, relative, bad permissions; not a limit', async (t) => {
  await refused(t, [
    [['--device', '/dev/engine-no-such-device'], /--device \/dev\/engine-no-such-device: \/dev\/engine-no-such-device: ENOENT/],
    [['--device', path.join(t.context.files, 'plain-file')], /--device \S+: \S+plain-file is not a character or block device/],
    [['--device', '/dev/null:dev/null'], /--device \/dev\/null:dev\/null: the container path must be absolute/],
    [['--device', '/dev/null:/dev/n:rwx'], /--device \/dev\/null:\/dev\/n:rwx: permissions must be some of r, w and m/],
    [['--pids-limit', '-5'], /--pids-limit: expected a positive integer, or -1 for unlimited, got "-5"/],
    [['--pids-limit', 'many'], /--pids-limit must be a number/],
  ]);
});
