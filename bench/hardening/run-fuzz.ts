// npm run fuzz [-- --frames N] [--seed S] [--concurrency C] [--stalled N] [--flood N]
// The protocol fuzzer (fuzz.ts) against a fresh supervisor, with the supervisor sampled before and
// after; prints a table and exits 1 on any crash, hang, internal error or growth.

import fs from 'node:fs';
import path from 'node:path';
import { Supervisor } from '../../test/support/harness.js';
import { e2eSkipReason } from '../../test/support/skip.js';
import { mdTable, systemLine } from '../report/docs.js';
import { fuzz } from './fuzz.js';
import { growthProblems, sampleSettled } from './growth.js';
import { SAMPLE_FIELDS } from './sample.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  if (e2eSkipReason) {
    console.error(`fuzz: ${e2eSkipReason}`);
    process.exitCode = 1;
    return;
  }
  const frames = arg('frames', 102_000);
  const seed = arg('seed', 1);
  const sup = await Supervisor.start();
  try {
    const missingDir = path.join(sup.dir, 'missing');
    // Warm-up: the supervisor's lazily made things (pools, caches) exist before the baseline.
    await fuzz({ socket: sup.socket, frames: 1000, seed: seed + 1_000_000, missingDir });
    const before = await sampleSettled(sup.pid, sup.dir);
    const result = await fuzz({ socket: sup.socket, frames, seed, concurrency: arg('concurrency', 16), stalled: arg('stalled', 20), flood: arg('flood', 5000), missingDir });
    const alive = (await sup.ping()) !== null;
    const after = await sampleSettled(sup.pid, sup.dir, before);
    const errorLines = sup.log.split('\n').filter((l) => /"level":(5|6)0/.test(l));
    console.log(`Run: ${systemLine()}. Seed ${seed}.`);
    console.log();
    console.log(mdTable(['case', 'sent'], Object.entries(result.kinds).sort(), ['l', 'r']));
    console.log();
    console.log(mdTable(['reply', 'count'], Object.entries(result.replies).sort(), ['l', 'r']));
    console.log();
    console.log(mdTable(['supervisor', ...SAMPLE_FIELDS], [['before', ...SAMPLE_FIELDS.map((f) => before[f])], ['after', ...SAMPLE_FIELDS.map((f) => after[f])]], ['l', ...SAMPLE_FIELDS.map(() => 'r' as const)]));
    console.log();
    console.log(`${result.cases} cases in ${(result.ms / 1000).toFixed(1)} s; reply latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`);
    if (result.flood) console.log(`connect flood: ${result.flood.attempted} connections, ${result.flood.busyReplies} closed by the cap with a busy reply, ${result.flood.refusedByKernel} refused by the kernel (queue full), at most ${result.flood.maxOpen} open, ${result.flood.ms} ms`);
    const problems = [
      ...(alive ? [] : ['the supervisor stopped answering']),
      ...(result.hangs ? [`${result.hangs} hangs`] : []),
      ...(result.internal ? [`${result.internal} internal errors`] : []),
      ...(result.malformed ? [`${result.malformed} malformed replies`] : []),
      ...(errorLines.length ? [`${errorLines.length} error lines in the supervisor's log: ${errorLines[0].slice(0, 300)}`] : []),
      ...result.problems,
      ...growthProblems(before, after),
    ];
    console.log(problems.length ? `FAILED:\n  ${problems.join('\n  ')}` : 'no crash, hang, internal error or growth');
    process.exitCode = problems.length ? 1 : 0;
  } finally {
    if (process.exitCode) fs.writeFileSync(path.join(sup.dir, '..', `engine-fuzz-supervisor-${sup.pid}.log`), sup.log);
    await sup.stop();
  }
}

await main();
