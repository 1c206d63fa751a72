// Docker's everyday flags on real containers: -e/--env-file, -w, --hostname, --tmpfs, -v (read-only
// all the way down, symlink escapes refused), --rm and --overlay (many containers on one rootfs).
// Serial: one of them runs 20 containers at once, and the suite shares two CPUs with other files.

import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLI_ENTRY } from '../../src/paths.js';
import { runEngine, Supervisor } from '../support/harness.js';
import { until } from '../support/process.js';
import { e2eSkipReason, when } from '../support/skip.js';

const execFileP = promisify(execFile);
const test = anyTest as TestFn<{ sup: Supervisor }>;
type Context = ExecutionContext<{ sup: Supervisor }>;
const e2e = when(test, e2eSkipReason);

test.before(async (t) => {
  if (e2eSkipReason) return;
  t.context.sup = await Supervisor.start();
});
test.after.always(async (t) => {
  await t.context.sup?.stop();
});

function hostDir(t: Context, name: string): string {
  const dir = path.join(t.context.sup.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function overlayDirs(sup: Supervisor): string[] {
  try {
    return fs.readdirSync(path.join(sup.stateDir, 'overlay'));
  } catch {
    return [];
  }
}

/** The ids the supervisor lists (over the socket: no CLI process, which a loaded machine pays for). */
async function ids(sup: Supervisor): Promise<string[]> {
  const r = await sup.call({ verb: 'ps' });
  return r.ok && r.event === 'list' ? r.records.map((c) => c.id) : [];
}

e2e.serial('-e, --env-file and NAME alone: file first, -e wins, one entry per name', async (t) => {
  const { sup } = t.context;
  const rootfs = await sup.rootfs();
  const envFile = path.join(hostDir(t, 'env'), 'app.env');
  fs.writeFileSync(envFile, '# a comment\n\nFROM_FILE=file value\nOVERRIDE=from-file\n  PASSTHRU\nUNSET_HERE\n');
  const r = await runEngine(
    ['run', 'fl-env', '--env-file', envFile, '-e', 'OVERRIDE=from-flag', '-e', 'TERM=dumb', '-e', 'EMPTY=', rootfs, '/usr/bin/env'],
    { ENGINE_SOCKET: sup.socket, PASSTHRU: 'from the client' },
  );
  t.is(r.code, 0, r.stderr);
  const env = r.stdout.trim().split('\n');
  t.true(env.includes('FROM_FILE=file value'));
  t.true(env.includes('OVERRIDE=from-flag'));
  t.true(env.includes('PASSTHRU=from the client'));
  t.true(env.includes('EMPTY='));
  t.false(env.some((e) => e.startsWith('UNSET_HERE')), 'a name with no value here is left out');
  t.deepEqual(env.filter((e) => e.startsWith('TERM=')), ['TERM=dumb']);
  t.deepEqual(env.filter((e) => e.startsWith('OVERRIDE=')), ['OVERRIDE=from-flag']);
  t.true(env.includes('HOSTNAME=fl-env'));
});

e2e.serial('-w: an existing directory, and a missing one made inside the container', async (t) => {
  const { sup } = t.context;
  const rootfs = await sup.rootfs();
  const r1 = await sup.engine('run', 'fl-wd1', '-w', '/etc', rootfs, '/bin/pwd');
  t.is(r1.stdout, '/etc\n', r1.stderr);
  const r2 = await sup.engine('run', 'fl-wd2', '--workdir', '/srv/app/data', rootfs, 'pwd; touch here');
  t.is(r2.code, 0, r2.stderr);
  t.is(r2.stdout, '/srv/app/data\n');
  t.true(fs.existsSync(path.join(rootfs, 'srv/app/data/here')));
});

e2e.serial('--hostname: the UTS name and $HOSTNAME; without it, the id', async (t) => {
  const { sup } = t.context;
  const rootfs = await sup.rootfs();
  const r = await sup.engine('run', 'fl-host', '--hostname', 'web-1.example', rootfs, 'hostname; echo $HOSTNAME');
  t.is(r.stdout, 'web-1.example\nweb-1.example\n', r.stderr);
  const d = await sup.engine('run', 'fl-host-default', rootfs, 'hostname');
  t.is(d.stdout, 'fl-host-default\n');
});

e2e.serial('--tmpfs PATH:size=N: a tmpfs of that size, full at it', async (t) => {
  const { sup } = t.context;
  const rootfs = await sup.rootfs();
  const r = await sup.engine('run', 'fl-tmpfs', '--tmpfs', '/scratch:size=1m,mode=700', rootfs,
    'grep " /scratch " /proc/mounts; stat -c %a /scratch; dd if=/dev/zero of=/scratch/f bs=64k count=32 2>&1; echo dd=$?');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^tmpfs \/scratch tmpfs rw,nosuid,nodev,.*size=1024k/m);
  t.regex(r.stdout, /^700$/m);
  t.regex(r.stdout, /No space left on device/);
  t.regex(r.stdout, /^dd=1$/m);
  t.false(fs.existsSync(path.join(rootfs, 'scratch/f')), 'the writes went to the tmpfs');
});

e2e.serial('-v read-write: the container writes to the host directory', async (t) => {
  const { sup } = t.context;
  const rootfs = await sup.rootfs();
  const dir = hostDir(t, 'vol-rw');
  fs.writeFileSync(path.join(dir, 'in'), 'from the host\n');
  const r = await sup.engine('run', 'fl-rw', '-v', `${dir}:/data`, rootfs, 'cat /data/in; echo from the container > /data/out');
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'from the host\n');
  t.is(fs.readFileSync(path.join(dir, 'out'), 'utf8'), 'from the container\n');
  // A relative HOST is the client's, and a file can be a volume too.
  const file = path.join(dir, 'single');
  fs.writeFileSync(file, 'one file\n');
  const rel = await execFileP(process.execPath, ['--', CLI_ENTRY, 'run', 'fl-rw-file', '-v', './single:/etc/single:ro', rootfs, 'cat /etc/single'], {
    cwd: dir,
    env: { ...process.env, ENGINE_SOCKET: sup.socket },
  });
  t.is(rel.stdout, 'one file\n');
});

e2e.serial('-v :ro is read-only all the way down, mounts under HOST too', async (t) => {
  const { sup } = t.context;
  const rootfs = await sup.rootfs();
  const dir = hostDir(t, 'vol-ro');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'in'), 'x\n');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', path.join(dir, 'sub')]);
  t.teardown(() => execFileSync('umount', ['-l', path.join(dir, 'sub')]));
  fs.writeFileSync(path.join(dir, 'sub', 'deep'), 'y\n');
  const r = await sup.engine('run', 'fl-ro', '-v', `${dir}:/data:ro`, rootfs,
    'cat /data/in /data/sub/deep; touch /data/new 2>&1; echo top=$?; touch /data/sub/new 2>&1; echo sub=$?');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^x\ny\n/);
  t.regex(r.stdout, /Read-only file system\ntop=1\n/);
  t.regex(r.stdout, /Read-only file system\nsub=1\n/);
  t.false(fs.existsSync(path.join(dir, 'new')));
  t.false(fs.existsSync(path.join(dir, 'sub', 'new')));
});

/** One line on stderr, exit 125, nothing listed, no overlay directory. */
async function refused(t: Context, rootfs: string, id: string, args: string[], pattern: RegExp): Promise<void> {
  const { sup } = t.context;
  const r = await sup.engine('run', id, ...args, rootfs, '/bin/true');
  t.is(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
  t.regex(r.stderr, pattern);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.false((await ids(sup)).includes(id), `${args.join(' ')}: no record`);
  t.false(overlayDirs(sup).includes(id), `${args.join(' ')}: no overlay directory`);
}

e2e.serial('-v whose container path leaves the rootfs through a symlink is refused; nothing is made', async (t) => {
  const rootfs = await t.context.sup.rootfs();
  const src = hostDir(t, 'vol-src');
  const outside = hostDir(t, 'outside');
  fs.symlinkSync(outside, path.join(rootfs, 'abs-escape'));
  fs.symlinkSync('../../../../../../../..' + outside, path.join(rootfs, 'rel-escape'));
  fs.mkdirSync(path.join(rootfs, 'nest'));
  fs.symlinkSync('../..', path.join(rootfs, 'nest', 'up'));
  for (const overlay of [[], ['--overlay']]) {
    await refused(t, rootfs, 'fl-esc1', [...overlay, '-v', `${src}:/abs-escape/made`], /-v .*:\/abs-escape\/made: \/abs-escape in the rootfs is a symbolic link to .*outside, which would lead out of the rootfs$/m);
    await refused(t, rootfs, 'fl-esc2', [...overlay, '-v', `${src}:/rel-escape/made`], /leads out of the rootfs through a symbolic link/);
    await refused(t, rootfs, 'fl-esc3', [...overlay, '--tmpfs', '/nest/up/made'], /--tmpfs \/nest\/up\/made: .*leads out of the rootfs/);
  }
  t.deepEqual(fs.readdirSync(outside), [], 'nothing was made on the host');
  // A link that stays inside the rootfs is followed there.
  fs.symlinkSync('etc', path.join(rootfs, 'inside-link'));
  const ok = await t.context.sup.engine('run', 'fl-esc-ok', '-v', `${src}:/inside-link/mnt`, rootfs, 'grep -c " /etc/mnt " /proc/mounts');
  t.is(ok.stdout, '1\n', ok.stderr);
});

e2e.serial('bad volumes, env and tmpfs: one line each, nothing left behind', async (t) => {
  const rootfs = await t.context.sup.rootfs();
  const src = hostDir(t, 'vol-bad');
  await refused(t, rootfs, 'fl-bad1', ['-v', '/no/such/dir:/data'], /-v \/no\/such\/dir:\/data: the host path \/no\/such\/dir does not exist/);
  await refused(t, rootfs, 'fl-bad2', ['--overlay', '-v', '/no/such/dir:/data'], /does not exist/);
  await refused(t, rootfs, 'fl-bad3', ['-v', `${src}:data`], /must be absolute/);
  await refused(t, rootfs, 'fl-bad4', ['-v', `${src}:/data:rx`], /unknown option "rx"/);
  await refused(t, rootfs, 'fl-bad5', ['-v', 'named:/data'], /named volumes are not supported/);
  await refused(t, rootfs, 'fl-bad6', ['-v', `${src}:/`], /cannot mount over the container's root/);
  await refused(t, rootfs, 'fl-bad7', ['-e', '=value'], /^engine: -e "=value": the variable name is empty$/m);
  await refused(t, rootfs, 'fl-bad8', ['-e', 'TWO WORDS=x'], /white space/);
  await refused(t, rootfs, 'fl-bad9', ['--env-file', path.join(src, 'missing.env')], /--env-file .*missing.env: no such file/);
  fs.writeFileSync(path.join(src, 'bad.env'), 'GOOD=1\n=oops\n');
  await refused(t, rootfs, 'fl-bad10', ['--env-file', path.join(src, 'bad.env')], /--env-file .*bad.env line 2: "=oops": the variable name is empty/);
  await refused(t, rootfs, 'fl-bad11', ['--tmpfs', '/t:size=lots'], /--tmpfs \/t:size=lots: unknown or malformed option "size=lots"/);
  await refused(t, rootfs, 'fl-bad12', ['-w', 'relative'], /--workdir "relative": must be an absolute path/);
  await refused(t, rootfs, 'fl-bad13', ['--hostname', 'under_score'], /--hostname "under_score"/);
  await refused(t, rootfs, 'fl-bad14', ['-v', `${src}:/a`, '--tmpfs', '/a'], /\/a is already a mount point/);
  // Over the socket, an env entry without '=' is refused by the supervisor itself.
  const raw = await t.context.sup.call({ verb: 'start', id: 'fl-bad15', rootfs, command: ['/bin/true'], env: ['NOVALUE'] }).catch((e: Error) => e);
  t.regex(String((raw as Error).message ?? JSON.stringify(raw)), /--env "NOVALUE": expected NAME=VALUE/);
});

e2e.serial('run --rm: prints everything, exits with the status, then no record and no log', async (t) => {
  const { sup } = t.context;
  const rootfs = await sup.rootfs();
  const r = await sup.engine('run', '--rm', 'fl-rm', rootfs, 'seq 1 50000; exit 3');
  t.is(r.code, 3, r.stderr);
  const out = r.stdout.split('\n');
  t.is(out.length, 50001);
  t.is(out[49999], '50000');
  t.false((await ids(sup)).includes('fl-rm'));
  t.false(fs.existsSync(path.join(sup.stateDir, 'logs', 'fl-rm.log')));
  t.regex(String(await sup.inspect('fl-rm').catch((e: Error) => e.message)), /no such container: fl-rm/);
  // The id is free again.
  t.is((await sup.engine('run', '--rm', 'fl-rm', rootfs, '/bin/true')).code, 0);
});

e2e.serial('start --rm: removed once it ends', async (t) => {
  const { sup } = t.context;
  const rootfs = await sup.rootfs();
  const dir = hostDir(t, 'rm-gate');
  const s = await sup.engine('start', '--rm', 'fl-rm-bg', '-v', `${dir}:/gate`, rootfs, 'while [ ! -e /gate/go ]; do sleep 0.05; done; echo done');
  t.is(s.code, 0, s.stderr);
  t.true((await ids(sup)).includes('fl-rm-bg'), 'listed while it runs');
  fs.writeFileSync(path.join(dir, 'go'), '');
  await until('fl-rm-bg to be removed', async () => !(await ids(sup)).includes('fl-rm-bg'), 20_000);
  t.false(fs.existsSync(path.join(sup.stateDir, 'logs', 'fl-rm-bg.log')));
});

e2e.serial('--overlay: 20 live containers on one rootfs, each write private, the rootfs unchanged, nothing left after rm', async (t) => {
  const { sup } = t.context;
  const base = await sup.rootfs('overlay-base');
  const before = execFileSync('sh', ['-c', `cd ${base} && find . -printf '%p %s %T@ %m\\n' | sort`]).toString();
  const gate = hostDir(t, 'overlay-gate');
  const n = 20;
  const names = Array.from({ length: n }, (_, i) => `fl-ov-${i}`);
  for (const id of names) {
    const rec = await sup.startContainer({
      id, rootfs: base, overlay: true, volume: [`${gate}:/gate:ro`],
      command: ['/bin/sh', '-c', 'echo $HOSTNAME > /etc/who; rm /bin/true; while [ ! -e /gate/go ]; do sleep 0.05; done; cat /etc/who; ls /bin/true 2>&1'],
    });
    t.is(rec.state, 'running');
  }
  // All live at once, each with its own upper layer holding its own write.
  for (const id of names) {
    const who = path.join(sup.stateDir, 'overlay', id, 'upper', 'etc', 'who');
    await until(`${id} to write`, () => fs.existsSync(who) && fs.readFileSync(who, 'utf8') === `${id}\n`, 20_000);
  }
  const list = await sup.call({ verb: 'ps' });
  const live = list.ok && list.event === 'list' ? list.records.filter((r) => names.includes(r.id) && r.state === 'running') : [];
  t.is(live.length, n);
  // A plain container cannot take a rootfs that is a live overlay's lower layer.
  const plain = await sup.engine('start', 'fl-ov-plain', base, '/bin/true');
  t.is(plain.code, 125);
  t.regex(plain.stderr, /read-only lower layer of live --overlay containers 'fl-ov-0'/);
  fs.writeFileSync(path.join(gate, 'go'), '');
  for (const id of names) {
    await until(`${id} to end`, async () => (await sup.inspect(id)).state === 'exited', 30_000);
    t.is(sup.logOf(id), `${id}\nls: /bin/true: No such file or directory\n`, `${id} saw only its own changes`);
  }
  const after = execFileSync('sh', ['-c', `cd ${base} && find . -printf '%p %s %T@ %m\\n' | sort`]).toString();
  t.is(after, before, 'the rootfs is unchanged');
  t.true(fs.existsSync(path.join(base, 'bin/true')));
  for (const id of names) t.is((await sup.engine('rm', id)).code, 0);
  t.deepEqual(overlayDirs(sup).filter((d) => d.startsWith('fl-ov-')), [], 'rm discards every overlay');
  // Once they are gone the rootfs is free for a plain container again.
  t.is((await sup.engine('run', 'fl-ov-plain2', base, '/bin/true')).code, 0);
});

e2e.serial('--overlay with --rm: the changes go with the container', async (t) => {
  const { sup } = t.context;
  const rootfs = await sup.rootfs();
  const r = await sup.engine('run', '--rm', '--overlay', 'fl-ov-rm', rootfs, 'echo changed > /etc/hostname-copy; cat /etc/hostname-copy');
  t.is(r.stdout, 'changed\n', r.stderr);
  t.false(overlayDirs(sup).includes('fl-ov-rm'));
  t.false(fs.existsSync(path.join(rootfs, 'etc/hostname-copy')));
});
