// npm run soak [-- --cycles N] [--lanes L]
// The soak (soak.ts) against a fresh supervisor; prints a table of the samples and exits 1 on any
// failed cycle, leftover or growth.

import { Supervisor } from '../../test/support/harness.js';
import { e2eSkipReason } from '../../test/support/skip.js';
import { mdTable, systemLine } from '../report/docs.js';
import { growthProblems } from './growth.js';
import { SAMPLE_FIELDS, type ProcessSample } from './sample.js';
import { soak } from './soak.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  if (e2eSkipReason) {
    console.error(`soak: ${e2eSkipReason}`);
    process.exitCode = 1;
    return;
  }
  const cycles = arg('cycles', 16_100);
  const sup = await Supervisor.start();
  try {
    const r = await soak(sup, { cycles, lanes: arg('lanes', 4), samples: 8 });
    const row = (label: string, s: ProcessSample) => [label, ...SAMPLE_FIELDS.map((f) => s[f])];
    console.log(`Run: ${systemLine()}.`);
    console.log();
    console.log(
      mdTable(
        ['sample', ...SAMPLE_FIELDS],
        [row('before', r.before), ...r.during.map((s) => row(`after ${s.cycle} cycles`, s)), row(`after ${r.cycles} cycles`, r.after)],
        ['l', ...SAMPLE_FIELDS.map(() => 'r' as const)],
      ),
    );
    console.log();
    console.log(`${r.cycles} start/rm cycles in ${(r.ms / 1000).toFixed(1)} s (${((r.cycles * 1000) / r.ms).toFixed(0)} per second); left behind: ${r.leftovers.records} records, ${r.leftovers.logs} logs`);
    const problems = [
      ...r.failures,
      ...growthProblems(r.before, r.after, r.settled),
      ...(r.leftovers.records || r.leftovers.logs ? [`left behind: ${r.leftovers.records} records, ${r.leftovers.logs} logs`] : []),
    ];
    console.log(problems.length ? `FAILED:\n  ${problems.join('\n  ')}` : 'nothing leaked');
    process.exitCode = problems.length ? 1 : 0;
  } finally {
    await sup.stop();
  }
}

await main();
