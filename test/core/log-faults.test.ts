// The log pipeline through the real supervisor, at scale and under faults (issue 3): 256 containers
// logging at once, and the log of a container ended mid-write by stop, by its hard memory limit,
// or by the supervisor's own shutdown. Each log must be an exact prefix of what was written (nothing
// dropped, doubled or reordered) and, where the supervisor says how many bytes it logged, exactly
// that long.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { probePattern } from '../support/workloads.js';
import { Supervisor } from '../support/harness.js';
import { until } from '../support/process.js';
import { e2eSkipReason, when } from '../support/skip.js';

const e2e = when(test, e2eSkipReason).serial;
const MiB = 1024 * 1024;
const FOREVER = '1000000000000'; // probe write: more bytes than any test lets it write

/** Whether the file holds exactly the first `size` bytes of probe's pattern (read 1 MiB at a time). */
function isPatternPrefix(file: string): { ok: boolean; size: number } {
  const chunk = probePattern(MiB); // the pattern's period (64) divides 1 MiB, so every chunk starts alike
  const buf = Buffer.alloc(MiB);
  const fd = fs.openSync(file, 'r');
  try {
    let size = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, MiB, size);
      if (n === 0) return { ok: true, size };
      if (!buf.subarray(0, n).equals(chunk.subarray(0, n))) return { ok: false, size };
      size += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a line into a FIFO once its reader (a container's shell) has it open. */
async function openGate(fifo: string): Promise<void> {
  const fd = await until(`a reader on ${fifo}`, () => {
    try {
      return fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENXIO') return null; // no reader yet
      throw err;
    }
  });
  fs.writeSync(fd, 'go\n');
  fs.closeSync(fd);
}

const threads = (pid: number) => fs.readdirSync(`/proc/${pid}/task`).length;
const peakRssMiB = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const logSize = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0);

let sup: Supervisor;
test.before(async () => {
  if (e2eSkipReason) return;
  sup = await Supervisor.start({ graceMs: 1000 });
});
test.after.always(async () => {
  await sup?.stop();
});

e2e('256 containers logging at once: every byte arrives, no thread per container, supervisor RSS under 256 MiB', async (t) => {
  const n = 256;
  const each = 2 * MiB;
  // The threads of an idle supervisor that has run one container (its pools are all started).
  await sup.engine('run', 'lf-warm', await sup.linkedRootfs(), '/probe', 'write', '1000');
  const idleThreads = threads(sup.pid);
  const ids = Array.from({ length: n }, (_, i) => `lf-many-${i}`);
  const roots = await Promise.all(ids.map(() => sup.linkedRootfs()));
  // Each container blocks opening its /gate FIFO until the test opens it too, so all of them write
  // at the same time (a blocked open, not a polling loop: 256 pollers would load the CPU).
  execFileSync('mkfifo', roots.map((r) => path.join(r, 'gate')));
  const gated = `read go < /gate; exec /probe write ${each}`;
  const started = await Promise.all(ids.map((id, i) => sup.call({ verb: 'start', id, rootfs: roots[i], command: ['/bin/sh', '-c', gated] })));
  t.true(started.every((r) => r.ok), JSON.stringify(started.find((r) => !r.ok)));
  let maxThreads = threads(sup.pid);
  const sampler = setInterval(() => (maxThreads = Math.max(maxThreads, threads(sup.pid))), 20);
  try {
    for (const root of roots) await openGate(path.join(root, 'gate'));
    await until('all 256 to end', async () => {
      const ps = await sup.call({ verb: 'ps' });
      return ps.ok && ps.event === 'list' && ps.records.filter((r) => r.id.startsWith('lf-many-') && r.finishedAt === null).length === 0;
    }, 120_000, 200);
  } finally {
    clearInterval(sampler);
  }
  const want = crypto.createHash('sha256').update(probePattern(each)).digest('hex');
  const ps = await sup.call({ verb: 'ps' });
  const records = ps.ok && ps.event === 'list' ? ps.records.filter((r) => r.id.startsWith('lf-many-')) : [];
  t.is(records.length, n);
  let bad = 0;
  for (const r of records) {
    const got = crypto.createHash('sha256').update(fs.readFileSync(r.logPath)).digest('hex');
    if (r.state !== 'exited' || r.exitCode !== 0 || r.log.bytes !== each || got !== want) bad++;
  }
  t.is(bad, 0, `${bad} of ${n} containers did not end exited 0 with their ${each} bytes byte for byte`);
  t.log(`supervisor threads: ${idleThreads} idle, ${maxThreads} at most while 256 logged; peak RSS ${peakRssMiB(sup.pid).toFixed(0)} MiB`);
  t.true(maxThreads <= idleThreads, `no thread per container: ${idleThreads} idle, ${maxThreads} under load`);
  t.true(peakRssMiB(sup.pid) < 256, `peak RSS ${peakRssMiB(sup.pid)} MiB`);
});

e2e('stop mid-write: the log is an exact prefix, as long as inspect says', async (t) => {
  await sup.engine('start', 'lf-stop', await sup.rootfs(), '/probe', 'write', FOREVER);
  const { logPath } = await sup.inspect('lf-stop');
  await until('8 MiB logged', () => logSize(logPath) > 8 * MiB);
  const r = await sup.engine('stop', 'lf-stop', '-t', '0');
  t.is(r.code, 0, r.stderr);
  const info = await sup.inspect('lf-stop');
  t.is(info.state, 'stopped');
  const { ok, size } = isPatternPrefix(logPath);
  t.true(ok, 'an exact prefix of what was written');
  t.is(size, info.log.bytes, 'the final state came after the last byte was in the file');
});

e2e('hard-limit kill mid-write: the log is an exact prefix, as long as inspect says', async (t) => {
  // A paced writer logs while memory_hog (its output discarded) grows into the hard limit.
  const cmd = `/probe trickle ${FOREVER} 5 & exec /memory_hog >/dev/null 2>&1`;
  const r = await sup.engine('run', 'lf-oom', await sup.rootfs(), cmd, '--soft-mib', '8', '--hard-mib', '24');
  t.is(r.code, 137, r.stderr);
  const info = await sup.inspect('lf-oom');
  t.is(info.state, 'hard_limit_killed');
  const { ok, size } = isPatternPrefix(info.logPath);
  t.true(ok, 'an exact prefix of what was written');
  t.is(size, info.log.bytes);
  t.true(size > MiB, `it was logging when it was killed (${size} bytes)`);
  t.is(r.stdout.length, size, 'run printed every byte that was logged');
});

e2e('supervisor SIGTERM during heavy logging: exits 0 in grace + 3 s, every log an exact prefix of the length it logged', async (t) => {
  const own = await Supervisor.start({ graceMs: 300 });
  try {
    const ids = ['lf-sd-0', 'lf-sd-1', 'lf-sd-2', 'lf-sd-3'];
    for (const id of ids) t.is((await own.engine('start', id, await own.rootfs(), '/probe', 'write', FOREVER)).code, 0);
    const logs = await Promise.all(ids.map(async (id) => (await own.inspect(id)).logPath as string));
    await until('every container logging', () => logs.every((f) => logSize(f) > 2 * MiB));
    const { code, tookMs: took } = await own.terminate();
    t.is(code, 0);
    t.log(`orderly shutdown took ${took} ms (its watchdog exits 1 after grace + 3 s)`);
    for (const [i, id] of ids.entries()) {
      const { ok, size } = isPatternPrefix(logs[i]);
      t.true(ok, `${id}: an exact prefix`);
      const line = own.log.split('\n').find((l) => l.includes(`"id":"${id}"`) && l.includes('"msg":"container exited"'));
      t.truthy(line, `${id}: its exit is logged`);
      t.is(JSON.parse(line!).logBytes, size, `${id}: the file holds what the supervisor logged`);
    }
  } finally {
    await own.stop();
  }
});

e2e('run and logs -f of the same live container both print every byte', async (t) => {
  const n = 32 * MiB;
  const root = await sup.rootfs();
  const run = sup.engine('run', 'lf-readers', root, '/probe', 'write', String(n));
  await until('it to start', async () => (await sup.engine('inspect', 'lf-readers')).code === 0);
  const follow = sup.engine('logs', '-f', 'lf-readers');
  const [r, f] = await Promise.all([run, follow]);
  t.is(r.code, 0);
  t.is(f.code, 0);
  const want = probePattern(n).toString('latin1');
  t.true(r.stdout === want, `run printed ${r.stdout.length} bytes, the pattern`);
  t.true(f.stdout === want, `logs -f printed ${f.stdout.length} bytes, the pattern`);
});
