// npm run experiment:sched [-- --quick] [--cpu N] [--out DIR] [--only ID,ID] [--no-docs]
//
// How Linux shares one CPU between containers: pairs of containers started through engine's own
// supervisor, all pinned to one CPU, their CPU time sampled every 100 ms; the measured shares next
// to the ones the kernel's nice weights predict. Writes sched.md, sched.json and sched-*.svg; a full
// run (not --quick, every scenario, the default --out) also rewrites the table in docs/scheduler.md
// between the bench:sched markers, unless --no-docs.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../src/paths.js';
import { writeDocsSection } from '../report/docs.js';
import { formatCpuList, onlineCpus } from '../../src/sched/cpus.js';
import { readCpuTicks, TICK_MS } from './sampler.js';
import { runScenario, scenarios, type ScenarioResult } from './experiment.js';
import { baseRootfs, BenchSupervisor, fsTypeOf, makeScratch, pinProcess, sleep } from './harness.js';
import { markdown, ratioChart, summaryLine, summaryTable, timelineChart, type RunInfo } from './report.js';

interface Options {
  quick: boolean;
  cpu: number | null;
  out: string;
  only: string[] | null;
  /** false with --no-docs */
  docs: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, cpu: null, out: path.join(REPO_ROOT, 'bench/results'), only: null, docs: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--cpu') o.cpu = Number(argv[++i]);
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else if (a === '--only') o.only = argv[++i].split(',');
    else if (a === '--no-docs') o.docs = false;
    else if (a === '-h' || a === '--help') {
      console.log('usage: npm run experiment:sched -- [--quick] [--cpu N] [--out DIR] [--only ID,ID] [--no-docs]');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  return o;
}

/** Busy (other work) and steal fractions of each CPU over `ms`. */
async function cpuLoad(cpus: number[], ms: number): Promise<Map<number, { busy: number; steal: number }>> {
  const before = cpus.map((c) => readCpuTicks(c));
  const t0 = performance.now();
  await sleep(ms);
  const wall = performance.now() - t0;
  const out = new Map<number, { busy: number; steal: number }>();
  cpus.forEach((c, i) => {
    const a = before[i];
    const b = readCpuTicks(c);
    if (a && b) out.set(c, { busy: ((b.busy - a.busy) * TICK_MS) / wall, steal: ((b.steal - a.steal) * TICK_MS) / wall });
  });
  return out;
}

function read(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('needs root: containers are made with namespaces and mounts');
  const started = performance.now();
  const online = onlineCpus();
  let cpu: number;
  let hostCpus: number[];
  const pre = await cpuLoad(online, 1000);
  if (opts.cpu !== null) {
    if (!online.includes(opts.cpu)) throw new Error(`--cpu ${opts.cpu}: not an online CPU (online: ${formatCpuList(online)})`);
    cpu = opts.cpu;
  } else {
    // The CPU that was least busy just now; the last one on a tie.
    cpu = [...online].reverse().reduce((best, c) => ((pre.get(c)?.busy ?? 1) + (pre.get(c)?.steal ?? 0) < (pre.get(best)?.busy ?? 1) + (pre.get(best)?.steal ?? 0) ? c : best));
  }
  hostCpus = online.filter((c) => c !== cpu);
  const hostList = hostCpus.length ? formatCpuList(hostCpus) : null;

  const scratch = makeScratch();
  const sup = new BenchSupervisor(scratch);
  const cleanup = async () => {
    await sup.stop().catch(() => {});
    fs.rmSync(scratch, { recursive: true, force: true });
  };
  const onSignal = () => {
    console.error('interrupted: stopping the supervisor');
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const results: ScenarioResult[] = [];
  const autogroups: Record<string, string> = {};
  let idleBefore = pre.get(cpu) ?? { busy: 0, steal: 0 };
  try {
    const base = await baseRootfs(scratch);
    console.log(`rootfs: ${base.dir}${base.made ? ' (built for this run)' : ''}`);
    // The supervisor is not pinned: a pinned supervisor must still accept --cpus for the other CPU,
    // and its own work (starting containers, moving log bytes) is small; it counts as other load.
    await sup.start(null);
    if (hostList) pinProcess(process.pid, hostList); // keep this process off the measured CPU (after the supervisor is forked)
    console.log(`supervisor on ${sup.socket}; containers pinned to CPU ${cpu}; this bench on ${hostList ?? cpu}`);
    idleBefore = (await cpuLoad([cpu], 1000)).get(cpu) ?? idleBefore;
    console.log(`CPU ${cpu} before the run: ${(idleBefore.busy * 100).toFixed(1)}% busy, ${(idleBefore.steal * 100).toFixed(1)}% steal`);
    const tag = Date.now().toString(36);
    for (const sc of scenarios(opts.quick)) {
      if (opts.only && !opts.only.includes(sc.id)) continue;
      process.stdout.write(`${sc.id}: ${sc.title} ... `);
      const r = await runScenario(sup, base.dir, scratch, cpu, sc, tag, (name, pid) => {
        if (sc.id === 'nice-m10-10') autogroups[`${name} (nice ${sc.containers.find((c) => c.name === name)!.nice})`] = read(`/proc/${pid}/autogroup`, '?');
      });
      results.push(r);
      const shares = r.containers.map((c) => `${c.name} ${(c.measuredShare * 100).toFixed(1)}%`).join(' / ');
      const ratio = r.measuredRatio !== null ? `, ratio ${r.measuredRatio.toFixed(2)} (predicted ${r.predictedRatio!.toFixed(2)})` : '';
      const other = r.load ? `, other load ${((r.load.other + r.load.steal) * 100).toFixed(1)}%` : '';
      console.log(`${shares}${ratio}${other}`);
    }
  } finally {
    await cleanup();
  }

  const info: RunInfo = {
    date: new Date().toISOString(),
    mode: opts.quick ? 'quick' : 'full',
    kernel: os.release(),
    autogroup: read('/proc/sys/kernel/sched_autogroup_enabled', '?') === '1' ? 'on' : 'off (or absent)',
    cpu,
    hostCpus: hostList,
    onlineCpus: formatCpuList(online),
    intervalMs: 100,
    cpuBudgetMs: scenarios(opts.quick)[0].containers[0].cpuBudgetMs!,
    memBudgetMs: scenarios(opts.quick).find((s) => s.kind === 'memory-fast')?.containers[0].cpuBudgetMs ?? null,
    scratchFs: fsTypeOf(os.tmpdir()),
    idleBefore,
    autogroups,
    durationMs: performance.now() - started,
  };
  fs.mkdirSync(opts.out, { recursive: true });
  fs.writeFileSync(path.join(opts.out, 'sched.json'), JSON.stringify({ info, results }, null, 1) + '\n');
  fs.writeFileSync(path.join(opts.out, 'sched-ratio.svg'), await ratioChart(results));
  for (const r of results) fs.writeFileSync(path.join(opts.out, `sched-timeline-${r.id}.svg`), await timelineChart(r));
  fs.writeFileSync(path.join(opts.out, 'sched.md'), markdown(info, results));
  // Only a full run goes into the docs: a quick run's 1 s budgets distort the small side of
  // -10/+10 (see docs/scheduler.md, Method), and a partial one would drop rows the text discusses.
  const full = !opts.quick && !opts.only && path.resolve(opts.out) === path.join(REPO_ROOT, 'bench/results');
  if (opts.docs && full) {
    const doc = path.join(REPO_ROOT, 'docs/scheduler.md');
    if (writeDocsSection(doc, 'sched', `${summaryLine(info, results)}\n\n${summaryTable(results)}`)) console.log(`updated the table in ${doc}`);
    else console.error(`experiment:sched: no bench:sched markers in ${doc}: not updated`);
  } else if (opts.docs) {
    console.log('docs/scheduler.md not updated: not a full run (--quick, --only or another --out)');
  }
  console.log(`wrote ${path.join(opts.out, 'sched.md')}, sched.json and ${results.length + 1} charts in ${(info.durationMs / 1000).toFixed(0)} s`);
}

main().catch((err) => {
  console.error(`experiment:sched: ${(err as Error).message}`);
  process.exitCode = 1;
});

