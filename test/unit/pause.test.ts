// pause, the CRI lane's sandbox process: exits 0 on SIGTERM and SIGINT, refuses arguments, and as PID 1
// of a PID namespace reaps the orphans it inherits (no zombie is left).

import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { exited, runToEnd, until } from '../support/process.js';
import { isRoot, when } from '../support/skip.js';
import { bin, ensureWorkloads } from '../support/workloads.js';

test.before(() => ensureWorkloads());

const children = (pid: number): number[] =>
  fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

/** pause is waiting in sigwaitinfo (a signal sent earlier could find its default action and kill it). */
function waiting(pid: number): boolean {
  try {
    return /sigtimedwait/.test(fs.readFileSync(`/proc/${pid}/wchan`, 'utf8'));
  } catch {
    return false;
  }
}

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  test(`pause: ${sig} ends it with exit 0`, async (t) => {
    const child = spawn(bin('pause'), [], { stdio: 'ignore' });
    t.teardown(() => child.kill('SIGKILL'));
    await until('pause to wait for signals', () => waiting(child.pid!));
    child.kill(sig);
    t.deepEqual(await exited(child), { code: 0, signal: null });
  });
}

test('pause: an argument is refused with a usage line, exit 2', async (t) => {
  const r = await runToEnd(bin('pause'), ['now']);
  t.is(r.code, 2);
  t.regex(r.stderr, /^usage: pause/);
});

when(test, isRoot ? null : 'needs root (a PID namespace)')('pause: as PID 1 of a PID namespace it reaps inherited orphans', async (t) => {
  const ns = spawn('unshare', ['--pid', '--fork', '--kill-child', bin('pause')], { stdio: 'ignore' });
  t.teardown(() => ns.kill('SIGKILL'));
  const pause = (await until('pause to start in its namespace', () => children(ns.pid!)[0]))!;
  await until('pause to wait for signals', () => waiting(pause));
  // A shell entered into the namespace leaves a sleep behind and exits: the orphan goes to PID 1, pause,
  // at once. The sleep lasts long enough to be seen there even on a loaded host, and holds none of
  // nsenter's pipes (runToEnd would otherwise wait for it to end).
  const r = await runToEnd('nsenter', ['--target', String(pause), '--pid', '--', '/bin/sh', '-c', 'sleep 3 </dev/null >/dev/null 2>&1 & exit 0']);
  t.is(r.code, 0, r.stderr);
  const [orphan] = children(pause);
  t.truthy(orphan, 'the orphan was not reparented to pause');
  t.is(fs.readFileSync(`/proc/${orphan}/comm`, 'utf8').trim(), 'sleep');
  // Reaped: its /proc entry disappears (a zombie would keep it, in state Z).
  await until('pause to reap the orphan', () => !fs.existsSync(`/proc/${orphan}`), 15_000);
  t.deepEqual(children(pause), []);
  process.kill(pause, 'SIGTERM');
  t.deepEqual(await exited(ns), { code: 0, signal: null });
});
