// --cpus lists: parsing, validation against the online CPUs, one-line errors.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { EngineError } from '../../../src/errors.js';
import { formatCpuList, onlineCpus, parseCpuList, parseKernelCpuList } from '../../../src/sched/cpus.js';
import { when } from '../../support/skip.js';

const EIGHT = [0, 1, 2, 3, 4, 5, 6, 7];

test('ranges, singles and lists', (t) => {
  t.deepEqual(parseCpuList('0-2,5', EIGHT), [0, 1, 2, 5]);
  t.deepEqual(parseCpuList('0', EIGHT), [0]);
  t.deepEqual(parseCpuList('0-1', EIGHT), [0, 1]);
  t.deepEqual(parseCpuList('0,2', EIGHT), [0, 2]);
  t.deepEqual(parseCpuList('3-3', EIGHT), [3]);
  t.deepEqual(parseCpuList('7,0-1', EIGHT), [0, 1, 7], 'sorted');
  t.deepEqual(parseCpuList(' 1,3 ', EIGHT), [1, 3], 'blanks around the whole list are trimmed');
  t.deepEqual(parseCpuList('0-7', EIGHT), EIGHT);
});

/** The error for `text`: an EngineError invalid_argument with one line matching `pattern`. */
function rejects(t: any, text: string, pattern: RegExp, online = EIGHT): void {
  const err = t.throws(() => parseCpuList(text, online), { instanceOf: EngineError }, `${JSON.stringify(text)} must be refused`);
  if (!err) return;
  t.is(err.code, 'invalid_argument');
  t.regex(err.message, pattern);
  t.false(err.message.includes('\n'), `one line: ${err.message}`);
  t.true(err.message.startsWith('--cpus'), `names the flag: ${err.message}`);
}

test('bad syntax is refused with an example of good syntax', (t) => {
  for (const bad of ['a', '1-', '-1', '0-1-2', '0:2', '0-7:2', '1.5', '0 1', '0;1', '+1', '0x1', '1e2', '１']) {
    rejects(t, bad, /is not a CPU number or range; use CPU numbers and ranges like 0, 0-1 or 0,2-3/);
  }
  rejects(t, '99999999', /is not a CPU number or range/);
});

test('empty lists and empty items', (t) => {
  rejects(t, '', /--cpus list is empty/);
  rejects(t, '   ', /--cpus list is empty/);
  for (const bad of ['0,', ',0', '0,,1']) rejects(t, bad, /has an empty item \(a stray comma\)/);
});

test('a reversed range says how to write it', (t) => {
  rejects(t, '3-1', /range 3-1 is reversed; write 1-3/);
  rejects(t, '0,5-2', /range 5-2 is reversed; write 2-5/);
});

test('a CPU named twice is refused', (t) => {
  rejects(t, '0,0', /names CPU 0 twice/);
  rejects(t, '0-2,1', /names CPU 1 twice/);
  rejects(t, '1-3,2-4', /names CPU 2 twice/);
});

test('CPUs that do not exist are refused, naming the online ones', (t) => {
  rejects(t, '4', /CPU 4 does not exist on this machine \(online CPUs: 0-3\)/, [0, 1, 2, 3]);
  rejects(t, '0-5', /CPU 4 does not exist on this machine \(online CPUs: 0-3\)/, [0, 1, 2, 3]);
  rejects(t, '1', /CPU 1 does not exist on this machine \(online CPUs: 0,2-3\)/, [0, 2, 3]);
  rejects(t, '99999', /CPU 99999 does not exist/, [0, 1]);
  // A huge range is refused by its bound, without walking it (a walk would name CPU 2 first).
  rejects(t, '0-99999', /CPU 99999 does not exist/, [0, 1]);
});

test('formatCpuList is the inverse', (t) => {
  t.is(formatCpuList([0, 1, 2, 5]), '0-2,5');
  t.is(formatCpuList([5, 0, 2, 1]), '0-2,5');
  t.is(formatCpuList([3]), '3');
  t.is(formatCpuList([]), '');
  t.is(formatCpuList([0, 2, 4]), '0,2,4');
  for (const list of ['0-2,5', '0', '1,3-4,7']) t.is(formatCpuList(parseCpuList(list, EIGHT)), list);
});

test('kernel lists are read leniently', (t) => {
  t.deepEqual(parseKernelCpuList('0-1\n'), [0, 1]);
  t.deepEqual(parseKernelCpuList('0,2-3'), [0, 2, 3]);
  t.deepEqual(parseKernelCpuList(''), []);
});

test('onlineCpus: the online CPUs this process may use', (t) => {
  const cpus = onlineCpus();
  t.true(cpus.length >= 1);
  t.deepEqual(cpus, [...cpus].sort((a, b) => a - b));
  const sys = '/sys/devices/system/cpu/online';
  if (fs.existsSync(sys)) {
    const online = parseKernelCpuList(fs.readFileSync(sys, 'utf8'));
    t.true(cpus.every((c) => online.includes(c)), `${cpus} within ${online}`);
  }
  // The default for parseCpuList: every online CPU is accepted, one past the last is not.
  t.deepEqual(parseCpuList(formatCpuList(cpus)), cpus);
  const past = Math.max(...cpus) + 1;
  t.throws(() => parseCpuList(String(past)), { message: new RegExp(`CPU ${past} does not exist on this machine`) });
});

const twoCpus = onlineCpus().length >= 2 && spawnSync('taskset', ['--version']).status === 0;
when(test, twoCpus ? null : 'needs 2 CPUs and taskset')("onlineCpus is not narrowed by this process's own affinity (a pinned supervisor can place containers anywhere)", (t) => {
  const all = onlineCpus();
  // The same module this test imports, loaded as this process loads it (through tsx in the main
  // lane, compiled in the unit lane, whose node starts in a fraction of tsx's time).
  const cpus = JSON.stringify(new URL('../../../src/sched/cpus.js', import.meta.url).href);
  const out = spawnSync('taskset', ['-c', String(all[0]), process.execPath, ...process.execArgv, '-e', `import(${cpus}).then(m => console.log(JSON.stringify(m.onlineCpus())))`], { encoding: 'utf8' });
  t.is(out.status, 0, out.stderr);
  t.deepEqual(JSON.parse(out.stdout), all);
});
