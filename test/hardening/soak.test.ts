// The short soak of `make test` (npm run soak is the long one): 1,000 start/rm cycles over the
// socket, four at once. Fails on a cycle that went wrong, a record or log left behind, or growth
// of descriptors, threads, zombies, mounts, cgroups or resident memory.

import test from 'ava';
import { growthProblems } from '../../bench/hardening/growth.js';
import { soak } from '../../bench/hardening/soak.js';
import { Supervisor } from '../support/harness.js';
import { e2eSkipReason, when } from '../support/skip.js';

const e2e = when(test, e2eSkipReason);
const CYCLES = 1000;

e2e(`soak: ${CYCLES} start/rm cycles: every one right, nothing left behind, nothing grows`, async (t) => {
  t.timeout(280_000);
  const sup = await Supervisor.start();
  try {
    // 200 warm-up cycles: the supervisor's heap reaches its working size (a one-time step of up to
    // ~45 MiB measured after 50) before the baseline; after it, memory must not climb.
    const r = await soak(sup, { cycles: CYCLES, lanes: 4, samples: 4, warmup: 200 });
    const rss = [r.before, ...r.during, r.after].map((s) => s.rssMiB).join(' -> ');
    t.log(`${r.cycles} cycles in ${(r.ms / 1000).toFixed(1)} s; fds ${r.before.fds} -> ${r.after.fds}, RSS ${rss} MiB`);
    t.deepEqual(r.failures, []);
    t.deepEqual(r.leftovers, { records: 0, logs: 0 });
    t.deepEqual(growthProblems(r.before, r.after, r.settled), []);
  } finally {
    await sup.stop();
  }
});
