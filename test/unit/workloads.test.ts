// The static workloads run on the host: behaviour, output formats and usage errors.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exited, lines, runToEnd } from '../support/process.js';
import { bin, ensureWorkloads, probePattern } from '../support/workloads.js';

test.before(() => ensureWorkloads());

const tmp = mkdtempSync(path.join(os.tmpdir(), 'engine-workloads-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

function vmRssKiB(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

test('memory_hog: RSS grows by a chunk per step, read as each step is reported', async (t) => {
  // With a step of an hour, the first line is all that can have happened when it is read (how late
  // it is read does not matter): RSS holds one chunk and not two.
  const one = spawn(bin('memory_hog'), ['8', '3600000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => one.kill('SIGKILL'));
  await lines(one).next(/^allocation=1 chunk=8MB total=8MB$/);
  const first = vmRssKiB(one.pid!);
  t.true(first >= 8 * 1024 && first < 16 * 1024, `after one 8 MiB step VmRSS is ${first} kB`);
  one.kill('SIGTERM');
  t.is((await exited(one)).signal, 'SIGTERM');
  // Steps at the seed's rate: every reading covers the total reported so far, and never shrinks.
  const child = spawn(bin('memory_hog'), ['8', '1000', '--max', '32', '--hold'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  const out = lines(child);
  const rss: number[] = [];
  for (let step = 1; step <= 4; step++) {
    const m = await out.next(/^allocation=(\d+) chunk=(\d+)MB total=(\d+)MB$/);
    t.is(Number(m[1]), step);
    t.is(Number(m[2]), 8);
    t.is(Number(m[3]), step * 8);
    const kib = vmRssKiB(child.pid!);
    rss.push(kib);
    t.true(kib >= step * 8 * 1024, `step ${step}: VmRSS ${kib} kB < ${step * 8} MiB`);
  }
  for (let i = 1; i < rss.length; i++) t.true(rss[i]! >= rss[i - 1]!, `RSS shrank: ${rss.join(' ')}`);
  await out.next(/^memory_hog reached max total=32MB$/);
  // --hold keeps the memory after the max is reached
  t.true(vmRssKiB(child.pid!) >= 32 * 1024);
  t.is(child.exitCode, null);
  child.kill('SIGTERM');
  t.is((await exited(child)).signal, 'SIGTERM');
});

test('memory_hog: defaults are 8 MiB per step (first step reported at once)', async (t) => {
  const child = spawn(bin('memory_hog'), [], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  const m = await lines(child).next(/^allocation=1 chunk=(\d+)MB total=(\d+)MB$/);
  t.is(m[1], '8');
  t.is(m[2], '8');
});

test('memory_hog: --max exits 0 after the last step; --fast does not pause', async (t) => {
  // A step of an hour: only --fast lets this end before runToEnd's deadline kills it.
  const r = await runToEnd(bin('memory_hog'), ['--fast', '--max', '64', '16', '3600000']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), [
    'allocation=1 chunk=16MB total=16MB',
    'allocation=2 chunk=16MB total=32MB',
    'allocation=3 chunk=16MB total=48MB',
    'allocation=4 chunk=16MB total=64MB',
    'memory_hog reached max total=64MB',
  ]);
});

test('memory_hog: a failed malloc is reported and exits 1', async (t) => {
  const r = await runToEnd('/bin/sh', ['-c', `ulimit -v 65536; exec ${bin('memory_hog')} 16 0`]);
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(r.stdout, /^malloc failed after \d+ allocations$/m);
  t.regex(r.stdout, /^allocation=1 chunk=16MB total=16MB$/m);
});

test('cpu_hog: runs for its duration, reports each second, ends with the final line', async (t) => {
  const r = await runToEnd(bin('cpu_hog'), ['2']);
  t.is(r.code, 0, r.stderr);
  const ls = r.stdout.trim().split('\n');
  t.is(ls.length, 2, r.stdout);
  t.regex(ls[0]!, /^cpu_hog alive elapsed=1 accumulator=\d+ iterations=\d+ rate=\d+\/s$/);
  const m = ls[1]!.match(
    /^cpu_hog done duration=2 accumulator=\d+ iterations=(\d+) elapsed_ms=(\d+) cpu_ms=(\d+) iters_per_sec=(\d+)$/,
  );
  t.truthy(m, ls[1]);
  t.true(Number(m![1]) > 0);
  t.true(Number(m![2]) >= 2000, `elapsed_ms=${m![2]}`);
  t.true(Number(m![3]) > 0);
  t.true(Number(m![4]) > 0);
  t.true(r.ms >= 1990, `wall ${r.ms} ms`);
});

test('io_pulse: writes and fsyncs one line per pulse, reports each, then a final line', async (t) => {
  const file = path.join(tmp, 'pulse.out');
  const r = await runToEnd(bin('io_pulse'), ['5', '20', file]);
  t.is(r.code, 0, r.stderr);
  const expected = [1, 2, 3, 4, 5].map((i) => `io_pulse wrote iteration=${i}`);
  const ls = r.stdout.trim().split('\n');
  t.deepEqual(ls.slice(0, 5), expected);
  t.regex(ls[5]!, new RegExp(`^io_pulse done iterations=5 path=${file} elapsed_ms=\\d+$`));
  t.is(readFileSync(file, 'utf8'), [1, 2, 3, 4, 5].map((i) => `io_pulse iteration=${i}\n`).join(''));
  t.true(r.ms >= 80, `5 pulses with 20 ms pauses took ${r.ms} ms`);
});

test('io_pulse: an unwritable path exits 1 with the reason', async (t) => {
  const r = await runToEnd(bin('io_pulse'), ['1', '0', path.join(tmp, 'no/such/dir/f')]);
  t.is(r.code, 1);
  t.regex(r.stderr, /^io_pulse: open .*: No such file or directory$/m);
});

const usageCases: Array<[string, string[]]> = [
  ['memory_hog', ['abc']],
  ['memory_hog', ['0']],
  ['memory_hog', ['-5']],
  ['memory_hog', ['8', 'x']],
  ['memory_hog', ['8', '100', '3']],
  ['memory_hog', ['--max']],
  ['memory_hog', ['--max', '0']],
  ['memory_hog', ['--bogus']],
  ['cpu_hog', ['x']],
  ['cpu_hog', ['0']],
  ['cpu_hog', ['-1']],
  ['cpu_hog', ['1', '2']],
  ['io_pulse', ['0']],
  ['io_pulse', ['3', 'x']],
  ['io_pulse', ['3', '1', '/tmp/x', 'extra']],
  ['probe', []],
  ['probe', ['bogus']],
  ['probe', ['exit', '300']],
  ['probe', ['exit']],
  ['probe', ['write', '1X']],
  ['probe', ['trickle', '5']],
  ['probe', ['raise', 'NOPE']],
];
for (const [name, args] of usageCases) {
  test(`usage error: ${name} ${args.join(' ')} exits 2 with a usage line`, async (t) => {
    const r = await runToEnd(bin(name), args);
    t.is(r.code, 2);
    t.regex(r.stderr, new RegExp(`^usage: ${name} `, 'm'));
  });
}

test('probe pid, ppid, hostname, id, cwd (several subcommands in one run)', async (t) => {
  const child = spawn(bin('probe'), ['pid', 'ppid', 'hostname', 'id', 'cwd'], { stdio: ['ignore', 'pipe', 'inherit'], cwd: tmp });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const { code } = await exited(child);
  await new Promise((r) => setImmediate(r));
  t.is(code, 0);
  t.deepEqual(out.trim().split('\n'), [String(child.pid), String(process.pid), os.hostname(), `uid=${process.getuid!()} gid=${process.getgid!()}`, tmp]);
});

// The test process may itself have inherited stray descriptors (not close-on-exec) from
// whatever started it; they are closed in a bash wrapper so the expected set is exact.
async function strayFds(): Promise<number[]> {
  const r = await runToEnd(bin('probe'), ['fds']);
  return r.stdout.trim().split(' ').map(Number).filter((n) => n > 2);
}
const closeAll = (fds: number[]) => fds.map((n) => `exec ${n}>&-;`).join(' ');

test('probe fds: only 0 1 2 when nothing else is inherited', async (t) => {
  const r = await runToEnd('bash', ['-c', `${closeAll(await strayFds())} exec ${bin('probe')} fds`]);
  t.is(r.stdout, '0 1 2\n');
});

test('probe fds and fdlinks: an inherited descriptor shows up', async (t) => {
  const stray = (await strayFds()).filter((n) => n !== 7);
  const r = await runToEnd('bash', ['-c', `${closeAll(stray)} exec 7</dev/null; exec ${bin('probe')} fds fdlinks`]);
  const [fds, ...links] = r.stdout.trim().split('\n');
  t.is(fds, '0 1 2 7');
  t.true(links.includes('7 /dev/null'), links.join(' | '));
});

test('probe stdin: eof, data and blocked', async (t) => {
  t.is((await runToEnd('/bin/sh', ['-c', `exec ${bin('probe')} stdin </dev/null`])).stdout, 'eof\n');
  t.is((await runToEnd(bin('probe'), ['stdin'], { input: 'hello' })).stdout, 'data 5\n');
  const child = spawn(bin('probe'), ['stdin'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const m = await lines(child).next(/.*/);
  child.stdin!.end();
  t.is(m[0], 'blocked');
  t.is((await exited(child)).code, 0);
  t.is((await runToEnd('/bin/sh', ['-c', `exec ${bin('probe')} stdin <&-`])).stdout, 'closed\n');
});

test('probe mounts: prints /proc/self/mountinfo', async (t) => {
  // The host's mount table may change while the probe runs (other programs mount): compare with
  // a table that was the same before and after the probe read it.
  for (let attempt = 1; ; attempt++) {
    const before = readFileSync('/proc/self/mountinfo', 'utf8');
    const r = await runToEnd(bin('probe'), ['mounts']);
    const after = readFileSync('/proc/self/mountinfo', 'utf8');
    t.is(r.code, 0);
    t.regex(r.stdout, /^\d+ \d+ \d+:\d+ \S+ \/ /m);
    if (before === after || attempt === 20) {
      t.is(r.stdout, after);
      return;
    }
  }
});

test('probe nice and cpus follow nice and taskset', async (t) => {
  t.is((await runToEnd('nice', ['-n', '7', bin('probe'), 'nice'])).stdout, '7\n');
  t.is((await runToEnd('taskset', ['-c', '0', bin('probe'), 'cpus'])).stdout, '0\n');
  t.regex((await runToEnd(bin('probe'), ['cpus'])).stdout, /^\d+(,\d+)*\n$/);
});

test('probe ns, cgroup, sigmask, env, args', async (t) => {
  const ns = (await runToEnd(bin('probe'), ['ns'])).stdout;
  for (const n of ['ipc', 'mnt', 'net', 'pid', 'user', 'uts']) t.regex(ns, new RegExp(`^${n} ${n}:\\[\\d+\\]$`, 'm'));
  t.is((await runToEnd(bin('probe'), ['cgroup'])).stdout, readFileSync('/proc/self/cgroup', 'utf8'));
  const sig = (await runToEnd(bin('probe'), ['sigmask'])).stdout;
  t.regex(sig, /^SigBlk [0-9a-f]{16}\nSigIgn [0-9a-f]{16}\nSigCgt [0-9a-f]{16}\n$/);
  const env = (await runToEnd(bin('probe'), ['env'], { env: { FOO: 'bar baz' } })).stdout;
  t.is(env, 'FOO=bar baz\n');
  t.is((await runToEnd(bin('probe'), ['args', 'a b', '', 'c'])).stdout, 'a b\n\nc\n');
});

test('probe write and write-err: exact byte counts of the documented pattern', async (t) => {
  for (const n of [0, 1, 63, 64, 65, 65536, 65537, 300_001]) {
    const r = await runToEnd(bin('probe'), ['write', String(n)]);
    t.is(r.code, 0);
    t.true(Buffer.from(r.stdout, 'latin1').equals(probePattern(n)) || r.stdout === probePattern(n).toString(), `write ${n}`);
    t.is(r.stdout.length, n);
  }
  const k = await runToEnd(bin('probe'), ['write', '2K']);
  t.is(k.stdout, probePattern(2048).toString());
  const e = await runToEnd(bin('probe'), ['write-err', '100']);
  t.is(e.stdout, '');
  t.is(e.stderr, probePattern(100).toString());
});

test('probe trickle: the same pattern, paced: one pause after each 64 KiB but the last', async (t) => {
  const n = 4 * 65536 + 100;
  const r = await runToEnd(bin('probe'), ['trickle', String(n), '100']);
  t.is(r.code, 0);
  t.is(r.stdout, probePattern(n).toString());
  t.true(r.ms >= 4 * 100, `4 pauses of 100 ms, took ${r.ms} ms`);
});

test('probe exit N and raise SIG', async (t) => {
  t.is((await runToEnd(bin('probe'), ['exit', '37'])).code, 37);
  t.is((await runToEnd(bin('probe'), ['pid', 'exit', '0', 'bogus'])).code, 0);
  const r = await runToEnd(bin('probe'), ['raise', 'TERM']);
  t.is(r.signal, 'SIGTERM');
  t.is((await runToEnd(bin('probe'), ['raise', '9'])).signal, 'SIGKILL');
});

test('probe sleep pauses', async (t) => {
  const r = await runToEnd(bin('probe'), ['sleep', '200', 'pid']);
  t.true(r.ms >= 190, `${r.ms} ms`);
  t.is(r.code, 0);
});

test('probe ignore-term: reports SIGTERM and keeps running until SIGKILL', async (t) => {
  const child = spawn(bin('probe'), ['ignore-term'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  const out = lines(child);
  await out.next(/^ready$/);
  child.kill('SIGTERM');
  await out.next(/^got TERM$/);
  child.kill('SIGTERM');
  await out.next(/^got TERM$/);
  t.is(child.exitCode, null);
  t.is(child.signalCode, null);
  child.kill('SIGKILL');
  t.is((await exited(child)).signal, 'SIGKILL');
});

test('probe hold: ready, then ends on SIGTERM', async (t) => {
  const child = spawn(bin('probe'), ['hold'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  await lines(child).next(/^ready$/);
  child.kill('SIGTERM');
  t.is((await exited(child)).signal, 'SIGTERM');
});
