// engine logs: everything, the tail, and follow; and the log file byte for byte. Then the log
// options of start/run: rotation (--log-max-mib) and the non-blocking mode, with inspect's counters.

import test from 'ava';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { CLI_ENTRY } from '../../src/paths.js';
import { probePattern } from '../support/workloads.js';
import { Supervisor } from '../support/harness.js';
import { until } from '../support/process.js';
import { e2eSkipReason, when } from '../support/skip.js';

const e2e = when(test, e2eSkipReason);
const MIB = 1024 * 1024;
const pattern = (n: number) => probePattern(n).toString('latin1');

let sup: Supervisor;
test.before(async () => {
  if (e2eSkipReason) return;
  sup = await Supervisor.start();
});
test.after.always(async () => {
  await sup?.stop();
});

e2e('logs prints the whole output; the file holds it byte for byte (16 MiB)', async (t) => {
  const n = 16 * 1024 * 1024;
  const r = await sup.engine('run', 'lg-big', await sup.rootfs(), '/probe', 'write', String(n));
  t.is(r.code, 0);
  const want = crypto.createHash('sha256').update(probePattern(n)).digest('hex');
  const info = await sup.inspect('lg-big');
  t.is(crypto.createHash('sha256').update(fs.readFileSync(info.logPath)).digest('hex'), want);
  t.is(info.log.bytes, n);
  const logs = await sup.engine('logs', 'lg-big');
  t.is(logs.stdout.length, n);
  t.is(crypto.createHash('sha256').update(logs.stdout).digest('hex'), want);
  t.is(r.stdout.length, n, 'run printed it all too');
});

e2e('stdout and stderr interleave in arrival order', async (t) => {
  const r = await sup.engine('run', 'lg-mix', await sup.rootfs(), 'for i in 1 2 3; do echo out$i; echo err$i >&2; done');
  t.is(r.code, 0);
  t.is(fs.readFileSync((await sup.inspect('lg-mix')).logPath, 'utf8'), 'out1\nerr1\nout2\nerr2\nout3\nerr3\n');
});

e2e('-n N prints the last N lines', async (t) => {
  await sup.engine('run', 'lg-tail', await sup.rootfs(), 'seq 1 1000');
  t.is((await sup.engine('logs', 'lg-tail', '-n', '3')).stdout, '998\n999\n1000\n');
  t.is((await sup.engine('logs', 'lg-tail', '--tail', '0')).stdout, '');
  t.is((await sup.engine('logs', 'lg-tail', '-n', '5000')).stdout.split('\n').length, 1001);
});

/** Starts `engine logs ARGS`; returns its output so far, and its end. */
function follow(...args: string[]) {
  const child = spawn(process.execPath, [CLI_ENTRY, 'logs', ...args], { env: { ...process.env, ENGINE_SOCKET: sup.socket } });
  const state = { out: '' };
  child.stdout.on('data', (d) => (state.out += d));
  const closed = new Promise<number | null>((r) => child.on('close', r));
  return { state, closed, child };
}

// The containers below wait for a file to appear before writing more, so each step is gated
// on what the follower has already printed, never on timing.
const GATED = 'echo tick 1; while [ ! -e /go ]; do sleep 0.02; done; echo tick 2';

e2e('-f streams new output and exits 0 once the container has ended and all is printed', async (t) => {
  const rootfs = await sup.rootfs();
  await sup.engine('start', 'lg-follow', rootfs, GATED);
  const f = follow('-f', 'lg-follow');
  await until('the follower to print tick 1', () => f.state.out === 'tick 1\n');
  t.is((await sup.inspect('lg-follow')).state, 'running', 'the follower printed output while the container ran');
  fs.writeFileSync(`${rootfs}/go`, '');
  t.is(await f.closed, 0);
  t.is(f.state.out, 'tick 1\ntick 2\n');
  t.is((await sup.inspect('lg-follow')).state, 'exited');
});

e2e('-f ends at once on Ctrl-C', async (t) => {
  await sup.engine('start', 'lg-ctrlc', await sup.rootfs(), GATED);
  const f = follow('-f', 'lg-ctrlc');
  await until('tick 1', () => f.state.out === 'tick 1\n');
  f.child.kill('SIGINT');
  t.not(await f.closed, 0);
  await sup.engine('stop', 'lg-ctrlc', '-t', '0');
});

e2e('-f of an ended container prints everything and exits at once', async (t) => {
  await sup.engine('run', 'lg-done', await sup.rootfs(), 'echo finished');
  const r = await sup.engine('logs', '-f', 'lg-done');
  t.is(r.code, 0);
  t.is(r.stdout, 'finished\n');
});

e2e('-f with -n starts at the tail and keeps following', async (t) => {
  const rootfs = await sup.rootfs();
  await sup.engine('start', 'lg-tf', rootfs, 'seq 1 100; while [ ! -e /go ]; do sleep 0.02; done; echo after');
  await until('the first output', async () => fs.readFileSync((await sup.inspect('lg-tf')).logPath, 'utf8').endsWith('100\n'));
  const f = follow('-f', '-n', '2', 'lg-tf');
  await until('the tail', () => f.state.out === '99\n100\n');
  fs.writeFileSync(`${rootfs}/go`, '');
  t.is(await f.closed, 0);
  t.is(f.state.out, '99\n100\nafter\n');
});

e2e('--log-max-mib rotates to <id>.log.1; the two files end with the newest output; rm deletes both', async (t) => {
  const n = 5 * MIB + 12345;
  const r = await sup.engine('run', 'lo-rot', await sup.rootfs(), '/probe', 'write', String(n), '--log-max-mib', '1');
  t.is(r.code, 0, r.stderr);
  const info = await sup.inspect('lo-rot');
  t.is(info.log.bytes, n, 'every byte was written, across files');
  const current = fs.readFileSync(info.logPath, 'latin1');
  const previous = fs.readFileSync(`${info.logPath}.1`, 'latin1');
  t.true(current.length > 0 && current.length <= MIB, `current ${current.length}`);
  t.true(previous.length > 0 && previous.length <= MIB, `previous ${previous.length}`);
  const kept = previous + current;
  t.true(kept === pattern(n).slice(n - kept.length), 'log.1 then log is the tail of the output, in order');
  t.false(fs.existsSync(`${info.logPath}.2`), 'one old file is kept, not more');
  // run follows the log across rotations: its output ends with the container's last bytes.
  t.true(r.stdout.length >= current.length, `run printed ${r.stdout.length}`);
  t.true(r.stdout.endsWith(pattern(n).slice(-current.length)), 'run moved on to the new file');
  t.is((await sup.engine('logs', 'lo-rot', '-n', '2')).stdout, pattern(n).split('\n').slice(-2).join('\n'));
  t.is((await sup.engine('rm', 'lo-rot')).code, 0);
  t.false(fs.existsSync(info.logPath));
  t.false(fs.existsSync(`${info.logPath}.1`));
});

e2e('without --log-max-mib nothing rotates', async (t) => {
  const n = 3 * MIB;
  await sup.engine('run', 'lo-norot', await sup.rootfs(), '/probe', 'write', String(n));
  const info = await sup.inspect('lo-norot');
  t.is(fs.statSync(info.logPath).size, n);
  t.false(fs.existsSync(`${info.logPath}.1`));
});

e2e('--log-mode non-blocking: inspect counts kept + dropped = written; the file holds what was kept', async (t) => {
  const n = 64 * MIB;
  const r = await sup.engine('run', 'lo-nb', await sup.rootfs(), '--log-mode', 'non-blocking', '--log-buffer-mib', '1', '--', '/probe', 'write', String(n));
  t.is(r.code, 0, r.stderr);
  const info = await sup.inspect('lo-nb');
  t.is(info.log.mode, 'non-blocking');
  t.is(info.log.bytes + info.log.dropped, n, JSON.stringify(info.log));
  t.is(fs.statSync(info.logPath).size, info.log.bytes);
  t.log(`kept ${info.log.bytes} dropped ${info.log.dropped}`);
});

e2e('blocking (the default) never drops and inspect says so', async (t) => {
  const n = 16 * MIB;
  await sup.engine('run', 'lo-b', await sup.rootfs(), '/probe', 'write', String(n));
  const info = await sup.inspect('lo-b');
  t.deepEqual({ mode: info.log.mode, bytes: info.log.bytes, dropped: info.log.dropped }, { mode: 'blocking', bytes: n, dropped: 0 });
});

e2e('--log-buffer-mib without non-blocking is refused with one line', async (t) => {
  const r = await sup.engine('start', 'lo-bad', await sup.rootfs(), '/bin/true', '--log-buffer-mib', '4');
  t.is(r.code, 125);
  t.regex(r.stderr, /^engine: --log-buffer-mib only applies with --log-mode non-blocking\n$/);
});
