// The soak (npm run soak; a short run in `make test`): N start/rm cycles over the socket, a few
// lanes at once, each cycle a `run` of a container that prints one line, checked, then `rm`.
// The supervisor is sampled (sample.ts) before, during and after: what it holds must come back
// to where it was, and no record, log, mount or cgroup may be left behind.

import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { call, Client } from '../../src/cli/client.js';
import type { Supervisor } from '../../test/support/harness.js';
import { sampleProcess, type ProcessSample } from './sample.js';
import { sampleSettled } from './growth.js';

export interface SoakOptions {
  cycles: number;
  /** lanes at once, each with its own rootfs */
  lanes?: number;
  /** cycles before the baseline sample (lazily made things exist by then) */
  warmup?: number;
  /** samples taken during the run (besides before and after) */
  samples?: number;
}

export interface SoakResult {
  cycles: number;
  ms: number;
  failures: string[];
  before: ProcessSample;
  during: Array<{ cycle: number } & ProcessSample>;
  after: ProcessSample;
  /** the first sample after a quarter of the cycles: memory must not climb from there */
  settled?: ProcessSample;
  /** files the removed containers left in the state directory */
  leftovers: { records: number; logs: number };
}

/** One cycle: run, check the output and the final record, rm. Returns a problem, or null. */
async function cycle(sup: Supervisor, id: string, rootfs: string, n: number): Promise<string | null> {
  const want = `cycle-${n}\n`;
  const client = await Client.open(sup.socket, { verb: 'run', id, rootfs, command: ['/bin/sh', '-c', `echo cycle-${n}`] });
  let out = '';
  try {
    await client.reply();
    const final = await client.reply((d) => void (out += d.toString()));
    if (!final.ok || final.event !== 'exited') return `${id}: unexpected reply ${JSON.stringify(final).slice(0, 200)}`;
    if (final.record.state !== 'exited' || final.record.exitCode !== 0) return `${id}: ended ${final.record.state} ${final.record.exitCode} (${final.record.reason})`;
    if (out !== want) return `${id}: output ${JSON.stringify(out)}, expected ${JSON.stringify(want)}`;
  } finally {
    client.close();
  }
  const rm = await call(sup.socket, { verb: 'rm', id });
  return rm.ok ? null : `${id}: rm failed`;
}

export async function soak(sup: Supervisor, opts: SoakOptions): Promise<SoakResult> {
  const lanes = opts.lanes ?? 4;
  const rootfs = await Promise.all(Array.from({ length: lanes }, (_, i) => sup.linkedRootfs(`soak-rootfs-${i}`)));
  const failures: string[] = [];
  let next = 0;
  const run = async (count: number, onCycle?: (n: number) => void) => {
    const end = next + count;
    await Promise.all(
      rootfs.map(async (r, lane) => {
        while (next < end) {
          const n = next++;
          try {
            const problem = await cycle(sup, `soak-${lane}-${n}`, r, n);
            if (problem && failures.length < 20) failures.push(problem);
          } catch (err) {
            if (failures.length < 20) failures.push(`cycle ${n}: ${(err as Error).message}`);
          }
          onCycle?.(n);
        }
      }),
    );
  };
  await run(opts.warmup ?? Math.min(50, opts.cycles));
  const before = await sampleSettled(sup.pid, sup.dir);
  const began = performance.now();
  const every = Math.max(1, Math.floor(opts.cycles / ((opts.samples ?? 4) + 1)));
  const during: SoakResult['during'] = [];
  await run(opts.cycles, (n) => {
    const done = n - (opts.warmup ?? Math.min(50, opts.cycles)) + 1;
    if (done % every === 0 && done < opts.cycles) during.push({ cycle: done, ...sampleProcess(sup.pid, sup.dir) });
  });
  const ms = performance.now() - began;
  const after = await sampleSettled(sup.pid, sup.dir, before);
  const count = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith('soak-')).length : 0);
  return {
    cycles: opts.cycles,
    ms: Math.round(ms),
    failures,
    before,
    during,
    after,
    settled: during.find((s) => s.cycle >= opts.cycles / 4),
    leftovers: { records: count(path.join(sup.stateDir, 'containers')), logs: count(path.join(sup.stateDir, 'logs')) },
  };
}
