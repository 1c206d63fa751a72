// engine exec and engine top against real running containers: the exec'd process is in the
// container's namespaces, cgroups and security profile, its exit status comes back as run's does,
// and bad targets are one-line errors that leave nothing behind.

import anyTest, { type TestFn } from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { Supervisor } from '../support/harness.js';
import { until } from '../support/process.js';
import { e2eSkipReason, when } from '../support/skip.js';

const test = anyTest as TestFn<{ sup: Supervisor; rootfs: string }>;
const e2e = when(test, e2eSkipReason);

const ID = 'ex-main';

test.before(async (t) => {
  if (e2eSkipReason) return;
  const sup = await Supervisor.start({ graceMs: 1000 });
  t.context.sup = sup;
  t.context.rootfs = await sup.rootfs();
  // The container leaves a marker in its own /tmp (a tmpfs only its mount namespace sees).
  await sup.startContainer({ id: ID, rootfs: t.context.rootfs, command: ['/bin/sh', '-c', 'echo inside > /tmp/marker; exec sleep 1000'] });
  await until('the marker', () => sup.engine('exec', ID, 'cat', '/tmp/marker').then((r) => r.stdout === 'inside\n'));
});
test.after.always(async (t) => {
  await t.context.sup?.stop();
});

e2e('exec sees the container: its hostname, its PID namespace, its mounts', async (t) => {
  const { sup } = t.context;
  t.is((await sup.engine('exec', ID, 'hostname')).stdout, `${ID}\n`);
  // pid 1 is the container's command; the exec'd shell is another pid of the same namespace.
  const ps = await sup.engine('exec', ID, 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; echo $$');
  const [cmd, pid] = ps.stdout.trim().split('\n');
  t.is(cmd.trim(), 'sleep 1000');
  t.true(Number(pid) > 1, ps.stdout);
  t.is((await sup.engine('exec', ID, 'cat', '/tmp/marker')).stdout, 'inside\n');
  const mountNs = (pid: number | string) => fs.readlinkSync(`/proc/${pid}/ns/mnt`);
  const rec = await sup.inspect(ID);
  t.not(mountNs(rec.pid), mountNs('self'));
});

e2e('exec has the container\'s cgroups, capabilities, seccomp and no_new_privs', async (t) => {
  const { sup } = t.context;
  const rec = await sup.inspect(ID);
  const status = fs.readFileSync(`/proc/${rec.pid}/status`, 'utf8');
  const pick = (text: string, name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1];
  const r = await sup.engine('exec', ID, 'cat', '/proc/self/status', '/proc/self/cgroup');
  t.is(r.code, 0, r.stderr);
  for (const field of ['CapEff', 'CapBnd', 'CapPrm', 'Seccomp', 'NoNewPrivs']) t.is(pick(r.stdout, field), pick(status, field), field);
  t.is(pick(r.stdout, 'Seccomp'), '2'); // a filter, as the container's own
  // Inside its own cgroup namespace the container's cgroups are "/": the exec's are the same.
  const cgroups = r.stdout.split('\n').filter((l) => /^\d+:/.test(l));
  t.true(cgroups.length > 0);
  t.true(cgroups.every((l) => l.endsWith(':/')), cgroups.join('\n'));
});

e2e('exec exit status: the command\'s, 128+signal, 127 not found, 126 not executable', async (t) => {
  const { sup } = t.context;
  t.is((await sup.engine('exec', ID, 'sh', '-c', 'exit 3')).code, 3);
  t.is((await sup.engine('exec', ID, 'sh', '-c', 'kill -TERM $$')).code, 143);
  const missing = await sup.engine('exec', ID, '/no/such/command');
  t.is(missing.code, 127);
  t.regex(missing.stderr, /^engine: exec in ex-main failed: exec: ENOENT\n$/);
  t.is((await sup.engine('exec', ID, '/etc/passwd')).code, 126);
  t.is((await sup.engine('exec', ID, 'true')).code, 0);
});

e2e('exec -e, -w, -u and -i', async (t) => {
  const { sup } = t.context;
  const r = await sup.engine('exec', '-e', 'GREETING=hello', '-w', '/etc', '-u', 'nobody', ID, 'sh', '-c', 'echo $GREETING; pwd; id -u');
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'hello\n/etc\n65534\n');
  const cat = await sup.engineWith({ input: 'line one\nline two\n' }, 'exec', '-i', ID, 'cat');
  t.is(cat.code, 0, cat.stderr);
  t.is(cat.stdout, 'line one\nline two\n');
  // Without -i the process's stdin is empty.
  t.is((await sup.engineWith({ input: 'ignored\n' }, 'exec', ID, 'cat')).stdout, '');
  const badUser = await sup.engine('exec', '-u', 'nosuchuser', ID, 'true');
  t.is(badUser.code, 125);
  t.regex(badUser.stderr, /nosuchuser/);
});

e2e.serial('exec output is not in the container\'s log, and leaves no file behind', async (t) => {
  const { sup } = t.context;
  await sup.engine('exec', ID, 'echo', 'exec-output');
  t.false(sup.logOf(ID).includes('exec-output'));
  const logs = fs.readdirSync(path.join(sup.stateDir, 'logs'));
  t.deepEqual(logs.filter((f) => f.startsWith(`${ID}.exec`)), []);
});

e2e('top lists the container\'s processes, with host and container pids', async (t) => {
  const { sup } = t.context;
  const rec = await sup.inspect(ID);
  const top = await sup.engine('top', '--json', ID);
  t.is(top.code, 0, top.stderr);
  const procs = JSON.parse(top.stdout) as Array<{ pid: number; containerPid: number; command: string }>;
  const init = procs.find((p) => p.containerPid === 1);
  t.is(init?.pid, rec.pid);
  t.is(init?.command, 'sleep 1000');
  // An exec'd process shows up while it runs.
  const started = sup.engine('exec', ID, 'sleep', '37');
  await until('the exec in top', async () => {
    const list = JSON.parse((await sup.engine('top', '--json', ID)).stdout) as Array<{ command: string; containerPid: number }>;
    return list.some((p) => p.command === 'sleep 37' && p.containerPid > 1);
  });
  const text = await sup.engine('top', ID);
  t.regex(text.stdout, /^PID\s+CONTAINER PID\s+PPID\s+UID\s+COMMAND\n/);
  t.regex(text.stdout, /sleep 37/);
  const rec2 = await sup.inspect(ID);
  const list = JSON.parse((await sup.engine('top', '--json', ID)).stdout) as Array<{ pid: number; command: string }>;
  process.kill(list.find((p) => p.command === 'sleep 37')!.pid, 'SIGKILL');
  t.is((await started).code, 137);
  t.is(rec2.state, 'running');
});

e2e('exec and top of an unknown or ended container: one line, exit 125', async (t) => {
  const { sup } = t.context;
  for (const args of [['exec', 'ex-nope', 'true'], ['top', 'ex-nope']]) {
    const r = await sup.engine(...args);
    t.is(r.code, 125);
    t.is(r.stderr, 'engine: no such container: ex-nope\n');
  }
  const r = await sup.engine('run', 'ex-ended', await sup.rootfs(), 'true');
  t.is(r.code, 0);
  for (const args of [['exec', 'ex-ended', 'true'], ['top', 'ex-ended']]) {
    const e = await sup.engine(...args);
    t.is(e.code, 125);
    t.regex(e.stderr, /^engine: container ex-ended is not running \(exited\)/);
    t.is(e.stderr.split('\n').length, 2);
  }
  const usage = await sup.engine('exec', ID);
  t.is(usage.code, 125);
});
