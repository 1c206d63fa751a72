// Log options of start/run through the real supervisor: rotation (--log-max-mib) and the
// non-blocking mode (--log-mode non-blocking --log-buffer-mib), with inspect's counters.

import test from 'ava';
import fs from 'node:fs';
import { probePattern } from '../workloads/helpers.js';
import { e2eOnly, e2eSkipReason, Supervisor } from '../helpers/harness.js';

const e2e = e2eOnly(test);
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
  await new Promise((res) => setTimeout(res, 200)); // rm deletes in the background
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
