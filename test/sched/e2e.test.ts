// --cpus and --nice through the real supervisor and CLI: bad lists refused, affinity and nice seen
// from inside, each container its own session with its autogroup at its nice, and a short -10/+10
// experiment that checks only the direction of the effect.

import anyTest, { type TestFn } from 'ava';
import fs from 'node:fs';
import { formatCpuList, onlineCpus, parseKernelCpuList } from '../../src/sched/cpus.js';
import { CpuSampler, summarize } from '../../bench/sched/sampler.js';
import { Supervisor } from '../support/harness.js';
import { sleep, until } from '../support/process.js';
import { e2eSkipReason, when } from '../support/skip.js';

const test = anyTest as TestFn<{ sup: Supervisor; rootfs: string }>;
const e2e = when(test, e2eSkipReason);
const online = onlineCpus();
const lastCpu = online[online.length - 1];

test.before(async (t) => {
  if (e2eSkipReason) return;
  t.context.sup = await Supervisor.start({ graceMs: 500 });
  t.context.rootfs = await t.context.sup.rootfs('shared-rootfs');
});
test.after.always(async (t) => {
  await t.context.sup?.stop();
});

/** Session id (field 6 of /proc/<pid>/stat). */
function sessionOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
}

e2e('bad --cpus lists: exit 125, one clear line, no container made', async (t) => {
  const { sup, rootfs } = t.context;
  const past = Math.max(...online) + 1;
  const cases: [string, RegExp][] = [
    ['abc', /--cpus "abc": "abc" is not a CPU number or range; use CPU numbers and ranges like 0, 0-1 or 0,2-3/],
    ['0-', /is not a CPU number or range/],
    ['-1', /is not a CPU number or range/],
    ['3-1', /range 3-1 is reversed; write 1-3/],
    ['0,,1', /has an empty item/],
    ['0,0', /names CPU 0 twice/],
    [String(past), new RegExp(`CPU ${past} does not exist on this machine \\(online CPUs: ${formatCpuList(online)}\\)`)],
    ['0-4095', new RegExp(`does not exist on this machine`)],
  ];
  for (const [i, [list, pattern]] of cases.entries()) {
    const id = `cpus-bad-${i}`;
    const r = await sup.engine('start', id, rootfs, '/bin/true', '--cpus', list);
    t.is(r.code, 125, `--cpus ${list}: ${r.stderr}`);
    t.regex(r.stderr, pattern, `--cpus ${list}`);
    t.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    t.is(r.stdout, '');
    const ps = await sup.engine('ps', '--json');
    t.false((JSON.parse(ps.stdout) as { id: string }[]).some((c) => c.id === id), `no record for ${id}`);
  }
  const empty = await sup.engine('start', 'cpus-bad-empty', rootfs, '/bin/true', '--cpus', '');
  t.is(empty.code, 125, empty.stderr);
  t.regex(empty.stderr, /--cpus/);
  t.not(await sup.ping(), null, 'the supervisor is still up');
});

e2e('affinity and nice are visible inside the container, in its log, inspect and ps', async (t) => {
  const { sup } = t.context;
  const rootfs = await sup.rootfs();
  // busybox here has no nice applet: /probe nice is getpriority() in a child of the shell.
  const script = 'grep Cpus_allowed_list /proc/self/status; /probe nice cpus';
  const r = await sup.engine('run', 'cpus-in', rootfs, '/bin/sh', '-c', script, '--nice', '5', '--cpus', String(lastCpu));
  t.is(r.code, 0, r.stderr);
  const expected = `Cpus_allowed_list:\t${lastCpu}\n5\n${lastCpu}\n`;
  t.is(r.stdout, expected);
  const logs = await sup.engine('logs', 'cpus-in');
  t.is(logs.stdout, expected, 'the same lines in engine logs');
  const info = await sup.inspect('cpus-in');
  t.is(info.nice, 5);
  t.deepEqual(info.cpus, [lastCpu]);
  const ps = JSON.parse((await sup.engine('ps', '--json')).stdout) as { id: string; nice: number; cpus: number[] | null }[];
  const rec = ps.find((c) => c.id === 'cpus-in')!;
  t.deepEqual([rec.nice, rec.cpus], [5, [lastCpu]]);
  const table = (await sup.engine('ps')).stdout.split('\n');
  t.regex(table[0], /NICE/);
  t.regex(table[0], /CPUS/);

  // Every online CPU as a range; a negative nice (root) too.
  const all = formatCpuList(online);
  const r2 = await sup.engine('run', 'cpus-all', await sup.rootfs(), '/bin/sh', '-c', script, '--nice', '-5', '--cpus', all);
  t.is(r2.code, 0, r2.stderr);
  t.is(r2.stdout, `Cpus_allowed_list:\t${all}\n-5\n${online.join(',')}\n`);
  // Without --cpus the container may run anywhere the supervisor may.
  const supAllowed = /^Cpus_allowed_list:\s*(.+)$/m.exec(fs.readFileSync(`/proc/${sup.pid}/status`, 'utf8'))![1];
  const r3 = await sup.engine('run', 'cpus-none', await sup.rootfs(), '/probe', 'cpus', 'nice');
  t.is(r3.code, 0, r3.stderr);
  t.is(r3.stdout, `${parseKernelCpuList(supAllowed).join(',')}\n0\n`);
  t.is((await sup.inspect('cpus-none')).cpus, null);
});

e2e('each container is its own session, its autogroup set to its nice', async (t) => {
  const { sup } = t.context;
  const ids = ['ag-hi', 'ag-lo'];
  const nices = [-10, 7];
  try {
    for (const [i, id] of ids.entries()) {
      const r = await sup.engine('start', id, await sup.rootfs(), '/probe', 'hold', '--nice', String(nices[i]));
      t.is(r.code, 0, r.stderr);
    }
    const pids = await Promise.all(ids.map(async (id) => (await sup.inspect(id)).pid as number));
    const groups: string[] = [];
    for (const [i, pid] of pids.entries()) {
      t.is(sessionOf(pid), pid, `${ids[i]} leads its own session`);
      t.not(sessionOf(pid), sessionOf(sup.pid), 'not the supervisor\'s session');
      if (fs.existsSync(`/proc/${pid}/autogroup`)) {
        const ag = fs.readFileSync(`/proc/${pid}/autogroup`, 'utf8').trim();
        t.regex(ag, new RegExp(`nice ${nices[i]}$`), `${ids[i]}: ${ag}`);
        groups.push(ag.split(' ')[0]);
      }
    }
    if (groups.length === 2) t.not(groups[0], groups[1], 'one autogroup per container');
  } finally {
    for (const id of ids) await sup.engine('stop', id, '-t', '0');
  }
});

e2e('pinned to one CPU, the nice -10 container gets more CPU than the nice +10 one', async (t) => {
  const { sup } = t.context;
  const cpu = String(lastCpu);
  const specs = [
    { id: 'dir-hi', nice: -10 },
    { id: 'dir-lo', nice: 10 },
  ];
  try {
    const started = await Promise.all(
      specs.map(async (s) =>
        sup.call({ verb: 'start', id: s.id, rootfs: await sup.rootfs(), command: ['/cpu_hog', '5'], nice: s.nice, cpus: cpu }),
      ),
    );
    const pids = started.map((r) => (r.ok && 'record' in r ? r.record.pid! : 0));
    t.true(pids.every((p) => p > 0), JSON.stringify(started));
    await until('both hogs running', () => pids.every((p) => fs.existsSync(`/proc/${p}/stat`)));
    const sampler = new CpuSampler({ targets: { hi: pids[0], lo: pids[1] }, cpu: lastCpu }).start();
    await sleep(3000);
    const w = summarize(sampler.stop());
    t.log(
      `nice -10: ${w.cpuMs.hi.toFixed(0)} ms, nice +10: ${w.cpuMs.lo.toFixed(0)} ms over ${w.wallMs.toFixed(0)} ms` +
        ` (ratio ${(w.cpuMs.hi / Math.max(w.cpuMs.lo, 0.001)).toFixed(1)}, weights predict 86.8; other load on CPU ${cpu}: ${((w.cpu?.other ?? 0) * 100).toFixed(0)}%)`,
    );
    t.true(w.cpuMs.hi > 0, 'the high-priority container ran');
    t.true(w.cpuMs.hi > w.cpuMs.lo, 'higher priority, more CPU');
  } finally {
    for (const s of specs) await sup.engine('stop', s.id, '-t', '0');
  }
});
