// Floods (issue 14, item 5): 20,000 connections opened as fast as a client can, held idle. While
// the flood goes on, `engine ps` answers (the cap closes the oldest idle connections, the client
// retries a full queue); afterwards the supervisor holds no more descriptors than before and its
// memory comes back.

import test from 'ava';
import fs from 'node:fs';
import { connectFlood } from '../../bench/hardening/fuzz.js';
import { RSS_STEP_MIB, sampleSettled } from '../../bench/hardening/growth.js';
import { Supervisor } from '../support/harness.js';
import { until } from '../support/process.js';
import { e2eSkipReason, when } from '../support/skip.js';

const e2e = when(test, e2eSkipReason);
const CONNECTIONS = 20_000;
const PS_CALLS = 10;

e2e(`a flood of ${CONNECTIONS} idle connections: ${PS_CALLS} engine ps calls during it all answer; descriptors and memory come back`, async (t) => {
  t.timeout(300_000);
  const sup = await Supervisor.start();
  try {
    // Warm-up: what the supervisor makes lazily exists before the baseline.
    await connectFlood(sup.socket, 2000);
    for (let i = 0; i < 5; i++) t.like(await sup.engine('ps'), { code: 0 });
    const before = await sampleSettled(sup.pid, sup.dir);
    const flood = connectFlood(sup.socket, CONNECTIONS, { holdMs: 1000 });
    await until('the flood to fill the supervisor', () => fs.readdirSync(`/proc/${sup.pid}/fd`).length > before.fds + 500, 60_000, 5);
    const ps = await Promise.all(Array.from({ length: PS_CALLS }, () => sup.engineWith({ timeoutMs: 60_000 }, 'ps')));
    const result = await flood;
    t.deepEqual(ps.map((r) => r.code), Array(PS_CALLS).fill(0), ps.map((r) => r.stderr).join(''));
    t.true(result.busyReplies > 0, 'the cap closed idle connections');
    const after = await sampleSettled(sup.pid, sup.dir, before, 30_000);
    t.log(`RSS ${before.rssMiB} -> ${after.rssMiB} MiB, fds ${before.fds} -> ${after.fds}; ${result.busyReplies} closed by the cap, ${result.refusedByKernel} refused by the kernel, ${result.ms} ms`);
    t.true(after.fds <= before.fds, `descriptors came back (${before.fds} -> ${after.fds})`);
    t.true(after.rssMiB <= before.rssMiB + RSS_STEP_MIB, `memory came back (${before.rssMiB} -> ${after.rssMiB} MiB)`);
    t.like(await sup.engine('ps'), { code: 0 });
  } finally {
    await sup.stop();
  }
});
