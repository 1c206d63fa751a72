// npm run bench:memory [-- --runs N] [--only cgroup-v1,poller-100ms] [--out DIR] [--label NAME] [--print-json] [--render-only]
//   --print-json   print the results as one BENCH-JSON line instead of writing files (the QEMU guest)
//   --render-only  rewrite memory.md (and the docs' table) from memory.json and memory-guest.json, run nothing
//
// How fast and how tightly each memory enforcer available here stops a memory_hog over its hard
// limit: the time from the hog's memory reaching the limit to its death, and how far above the limit
// its memory got. Enforcers: the memory cgroup (v1 here, v2 in the QEMU guest), the kernel module
// (where monitor.ko is loaded) and, as the baseline, a 100 ms /proc/<pid>/statm poller that
// SIGKILLs above the limit. memory_hog at its default rate (8 MiB per second) and at full speed
// (--fast), several runs each; median and range. Writes memory.json and memory.md under bench/results
// (the table also shows the QEMU guest's figures when bench/results/memory-guest.json exists; make
// bench-memory-vm makes that file). With the default --out, the same table goes into docs/memory.md
// between the bench:memory markers.
//
// Measuring: a worker thread samples the hog back to back (tens of µs apart on the host): its RSS
// from /proc/<pid>/statm for RSS enforcers, the cgroup's usage for cgroups (what each enforcer
// limits). "Reached" = first sample at or above the limit (cgroups: within 1 MiB of it: usage is
// charged in per-CPU batches and the kernel kills as it gets there). "Died" = first sample where it
// has no memory and is a zombie. Over the limit = highest sampled usage (cgroups: the kernel's own high-water
// mark) minus the limit.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { REPO_ROOT } from '../../src/paths.js';
import { writeDocsSection } from '../report/docs.js';
import { chooseEnforcer } from '../../src/memory/choose.js';
import { CgroupEnforcer } from '../../src/memory/cgroup-common.js';
import { moduleDevicePresent } from '../../src/memory/module-device.js';
import type { MemoryEnforcer, MemoryEvent } from '../../src/memory/types.js';
import type { SamplerInput, SamplerOutput } from './sampler.js';

const MIB = 1024 * 1024;
const HARD = 32 * MIB;
const SOFT = 16 * MIB;
type EnforcerName = 'cgroup-v1' | 'cgroup-v2' | 'module' | 'poller-100ms';
type Rate = 'default' | 'fast';
const RATE_ARGS: Record<Rate, string[]> = {
  default: [], // 8 MiB chunks, one per second
  fast: ['--fast'], // 8 MiB chunks back to back
};
const RATE_LABEL: Record<Rate, string> = { default: '8 MiB/s (default)', fast: 'full speed (--fast)' };

interface Options {
  runs: number;
  only: string[] | null;
  out: string;
  label: string;
  printJson: boolean;
  renderOnly: boolean;
  capMib: number;
  gapMs: number;
}

function parseArgs(argv: string[]): Options {
  const inVm = process.env.ENGINE_IN_VM === '1';
  const o: Options = { runs: 5, only: null, out: path.join(REPO_ROOT, 'bench/results'), label: inVm ? 'guest' : 'host', printJson: false, renderOnly: false, capMib: inVm ? 256 : 1024, gapMs: inVm ? 1 : 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--only') o.only = argv[++i].split(',');
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else if (a === '--label') o.label = argv[++i];
    else if (a === '--print-json') o.printJson = true;
    else if (a === '--render-only') o.renderOnly = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: npm run bench:memory -- [--runs N] [--only cgroup-v1,cgroup-v2,module,poller-100ms] [--out DIR] [--label NAME] [--print-json] [--render-only]');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs must be a positive integer');
  return o;
}

export interface RunRecord {
  enforcer: EnforcerName;
  rate: Rate;
  run: number;
  reachedToDeathMs: number | null;
  overLimitBytes: number | null;
  maxRssBytes: number;
  signal: string | null;
  attribution: 'hard' | null;
  enforcerEvent: MemoryEvent | null;
  samples: number;
  meanGapUs: number;
  glitches: number;
  crossed: boolean;
  died: boolean;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function readRss(pid: number): number | null {
  try {
    const [size, res] = fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ').map(Number);
    return size === 0 ? null : res * 4096;
  } catch {
    return null;
  }
}

/** The baseline: every 100 ms, SIGKILL above the limit. */
function startPoller(pid: number, hard: number, onKill: (rss: number) => void): () => void {
  const t = setInterval(() => {
    const rss = readRss(pid);
    if (rss !== null && rss > hard) {
      try {
        process.kill(pid, 'SIGKILL');
        onKill(rss);
      } catch {
        /* gone */
      }
      clearInterval(t);
    }
  }, 100);
  return () => clearInterval(t);
}

async function oneRun(name: EnforcerName, enforcer: MemoryEnforcer | null, rate: Rate, run: number, o: Options): Promise<RunRecord> {
  const hog = path.join(REPO_ROOT, 'workloads/bin/memory_hog');
  const args = [...RATE_ARGS[rate], '--max', String(o.capMib), '--hold'];
  const child = spawn('/bin/sh', ['-c', 'read go && exec "$0" "$@"', hog, ...args], { stdio: ['pipe', 'ignore', 'inherit'] });
  const pid = child.pid!;
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
  let event: MemoryEvent | null = null;
  let stopPoller: (() => void) | null = null;
  let att = null as Awaited<ReturnType<MemoryEnforcer['attach']>> | null;
  let usageFile: string | undefined;
  if (enforcer) {
    att = await enforcer.attach(`bench-${name}-${rate}-${run}`, pid, { softBytes: SOFT, hardBytes: HARD }, (ev) => {
      if (ev.kind === 'hard') event = ev;
    });
    if (enforcer instanceof CgroupEnforcer) {
      const dir = enforcer.dirOf(`bench-${name}-${rate}-${run}`)!;
      usageFile = path.join(dir, enforcer.kind === 'cgroup-v1' ? 'memory.usage_in_bytes' : 'memory.current');
    }
  } else {
    stopPoller = startPoller(pid, HARD, (rss) => (event = { kind: 'hard', at: new Date().toISOString(), usageBytes: rss, limitBytes: HARD }));
  }
  const isCgroup = usageFile !== undefined;
  const input: SamplerInput = {
    pid,
    source: isCgroup ? 'cgroup' : 'rss',
    usageFile,
    threshold: isCgroup ? HARD - MIB : HARD,
    gapMs: o.gapMs,
    timeoutMs: 120_000,
  };
  const worker = new Worker(new URL('./sampler.js', import.meta.url), { workerData: input }); // run compiled (dist/)
  const result = new Promise<SamplerOutput>((resolve, reject) => {
    worker.on('message', (m: { ready?: boolean; result?: SamplerOutput }) => {
      if (m.ready) child.stdin!.end('go\n');
      if (m.result) resolve(m.result);
    });
    worker.on('error', reject);
  });
  const s = await result;
  await worker.terminate();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000); // an enforcer that failed: do not hang
  const signal = await exited;
  clearTimeout(timer);
  stopPoller?.();
  let over: number | null;
  if (enforcer instanceof CgroupEnforcer) {
    const peak = enforcer.backend.peakBytes(enforcer.dirOf(`bench-${name}-${rate}-${run}`)!);
    over = peak - HARD;
  } else {
    const ev = event as MemoryEvent | null;
    over = Math.max(s.maxRssBytes, ev?.usageBytes ?? 0) - HARD;
  }
  const attribution = att ? await att.exitAttribution() : event ? 'hard' : null;
  await att?.release();
  return {
    enforcer: name,
    rate,
    run,
    reachedToDeathMs: s.crossedAtMs !== null && s.diedAtMs !== null ? s.diedAtMs - s.crossedAtMs : null,
    overLimitBytes: over,
    maxRssBytes: s.maxRssBytes,
    signal,
    attribution,
    enforcerEvent: event,
    samples: s.samples,
    meanGapUs: s.meanGapUs,
    glitches: s.glitches,
    crossed: s.crossedAtMs !== null,
    died: s.diedAtMs !== null,
  };
}

interface Summary {
  label: string;
  enforcer: EnforcerName;
  rate: Rate;
  runs: number;
  killedByEnforcer: number;
  reachedToDeathMs: { median: number; min: number; max: number } | null;
  overLimitMiB: { median: number; min: number; max: number } | null;
}

function stats(xs: number[]): { median: number; min: number; max: number } | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median: m, min: s[0], max: s[s.length - 1] };
}

function summarize(label: string, records: RunRecord[]): Summary[] {
  const out: Summary[] = [];
  const keys = [...new Set(records.map((r) => `${r.enforcer}|${r.rate}`))];
  for (const k of keys) {
    const [enforcer, rate] = k.split('|') as [EnforcerName, Rate];
    const rs = records.filter((r) => r.enforcer === enforcer && r.rate === rate);
    out.push({
      label,
      enforcer,
      rate,
      runs: rs.length,
      killedByEnforcer: rs.filter((r) => r.attribution === 'hard' && r.signal === 'SIGKILL').length,
      reachedToDeathMs: stats(rs.map((r) => r.reachedToDeathMs).filter((x): x is number => x !== null)),
      overLimitMiB: stats(rs.map((r) => r.overLimitBytes).filter((x): x is number => x !== null).map((b) => Math.max(0, b) / MIB)),
    });
  }
  return out;
}

function fmt(s: { median: number; min: number; max: number } | null, digits: number): string {
  if (!s) return 'n/a';
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

const ENFORCER_LABEL: Record<EnforcerName, string> = {
  'cgroup-v1': 'memory cgroup v1',
  'cgroup-v2': 'memory cgroup v2',
  module: 'kernel module (100 ms scan)',
  'poller-100ms': '/proc poller, 100 ms (baseline)',
};

function table(all: Summary[]): string[] {
  const lines = [
    '| where | enforcer | hog rate | runs | killed by it | reached limit → dead (ms) | over the limit (MiB) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const s of all) {
    lines.push(`| ${s.label === 'guest' ? 'QEMU guest (TCG)' : 'host'} | ${ENFORCER_LABEL[s.enforcer]} | ${RATE_LABEL[s.rate]} | ${s.runs} | ${s.killedByEnforcer}/${s.runs} | ${fmt(s.reachedToDeathMs, 1)} | ${fmt(s.overLimitMiB, 1)} |`);
  }
  return lines;
}

function machines(meta: Record<string, unknown>[]): string[] {
  return meta.map((m) => `- ${m.label}: kernel ${m.kernel}, ${m.cpus} CPU, load average ${m.loadAvg ?? '?'} at the end, sampler gap ${m.gapMs} ms (mean measured gap ${m.meanGapUs} µs), ${m.date}`);
}

function markdown(all: Summary[], meta: Record<string, unknown>[]): string {
  const lines = [
    '# Memory enforcement: reaching the hard limit to death',
    '',
    `memory_hog against a ${HARD / MIB} MiB hard limit (soft ${SOFT / MIB} MiB); median (min–max) over the runs. ` +
      '"Over the limit" is the most the enforced quantity got above the limit: the cgroup\'s own high-water mark ' +
      '(memory.max_usage_in_bytes / memory.peak) for cgroups, the sampled RSS (and the module\'s reported RSS) otherwise. ' +
      'Generated by `npm run bench:memory`' + (all.some((s) => s.label === 'guest') ? ' and `make bench-memory-vm` (QEMU guest rows).' : '.'),
    '',
    ...table(all),
  ];
  lines.push('', 'Machines:', '', ...machines(meta));
  lines.push(
    '',
    'On a host shared with other work (see the load average above) the ranges are wide: read the medians. ' +
      'In the QEMU guest every instruction is emulated (TCG, one CPU): its times are those of a much slower machine and ' +
      'only comparable with each other, not with the host\'s.',
    '',
  );
  return lines.join('\n');
}

/** The section of docs/memory.md: the same table and machines, the report linked. */
function docsSection(all: Summary[], meta: Record<string, unknown>[]): string {
  return [
    ...table(all),
    '',
    ...machines(meta),
    '',
    `Hard limit ${HARD / MIB} MiB, soft ${SOFT / MIB} MiB; median (min–max). Full report: [bench/results/memory.md](../bench/results/memory.md).`,
  ].join('\n');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.renderOnly) return render(o.out);
  if (process.getuid?.() !== 0) throw new Error('bench:memory needs root (cgroups, the module)');
  if (!fs.existsSync(path.join(REPO_ROOT, 'workloads/bin/memory_hog'))) throw new Error('workloads/bin/memory_hog is missing: run make');
  const enforcers: Array<[EnforcerName, MemoryEnforcer | null]> = [];
  try {
    const c = await chooseEnforcer('cgroup');
    enforcers.push([c.kind as EnforcerName, c]);
  } catch (err) {
    console.error(`no memory cgroup: ${(err as Error).message}`);
  }
  if (moduleDevicePresent()) enforcers.push(['module', await chooseEnforcer('module')]);
  enforcers.push(['poller-100ms', null]);
  const chosen = enforcers.filter(([n]) => !o.only || o.only.includes(n));
  const records: RunRecord[] = [];
  for (const rate of ['default', 'fast'] as Rate[]) {
    for (let run = 1; run <= o.runs; run++) {
      for (const [name, e] of chosen) {
        const r = await oneRun(name, e, rate, run, o);
        records.push(r);
        console.error(
          `${o.label} ${name} ${rate} #${run}: reached->dead ${r.reachedToDeathMs?.toFixed(1) ?? 'n/a'} ms, over ${r.overLimitBytes === null ? 'n/a' : (r.overLimitBytes / MIB).toFixed(1)} MiB, ${r.signal}, attribution ${r.attribution}${r.crossed ? '' : ', limit never sampled'}${r.died ? '' : ', death not seen'}`,
        );
        await sleep(100);
      }
    }
  }
  for (const [, e] of chosen) await e?.close();
  const meta = {
    label: o.label,
    kernel: os.release(),
    cpus: os.cpus().length,
    gapMs: o.gapMs,
    meanGapUs: Math.round(records.reduce((a, r) => a + r.meanGapUs, 0) / Math.max(1, records.length)),
    date: new Date().toISOString(),
    loadAvg: os.loadavg().map((x) => x.toFixed(1)).join(' '),
    hardBytes: HARD,
    softBytes: SOFT,
  };
  const summaries = summarize(o.label, records);
  const doc = { meta, summaries, records };
  if (o.printJson) {
    console.log(`BENCH-JSON ${JSON.stringify(doc)}`);
    return;
  }
  fs.mkdirSync(o.out, { recursive: true });
  fs.writeFileSync(path.join(o.out, 'memory.json'), JSON.stringify(doc, null, 2) + '\n');
  render(o.out);
}

/** memory.md from memory.json (host) and memory-guest.json (QEMU guest) where they exist. */
function render(out: string): void {
  const all: Summary[] = [];
  const metas: Record<string, unknown>[] = [];
  for (const f of ['memory.json', 'memory-guest.json']) {
    const file = path.join(out, f);
    if (!fs.existsSync(file)) continue;
    const d = JSON.parse(fs.readFileSync(file, 'utf8')) as { meta: Record<string, unknown>; summaries: Summary[] };
    all.push(...d.summaries);
    metas.push(d.meta);
  }
  const md = markdown(all, metas);
  fs.writeFileSync(path.join(out, 'memory.md'), md);
  console.log(md);
  if (path.resolve(out) !== path.join(REPO_ROOT, 'bench/results')) return; // a scratch --out: the docs keep the real figures
  if (writeDocsSection(path.join(REPO_ROOT, 'docs/memory.md'), 'memory', docsSection(all, metas))) console.log('updated the table in docs/memory.md');
  else console.error('bench:memory: docs/memory.md has no bench:memory markers: not updated');
}

main().catch((err) => {
  console.error(`bench:memory: ${(err as Error).message}`);
  process.exit(1);
});
