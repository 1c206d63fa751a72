// Markdown report and SVG charts (vega-lite compiled to vega, rendered headless) for the experiment.
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { fmtNice, type ScenarioResult } from './experiment.js';

export interface RunInfo {
  date: string;
  mode: 'full' | 'quick';
  kernel: string;
  autogroup: string;
  cpu: number;
  hostCpus: string | null;
  onlineCpus: string;
  intervalMs: number;
  cpuBudgetMs: number;
  memBudgetMs: number | null;
  scratchFs: string;
  /** The pinned CPU measured for 1 s before the run, nothing of ours on it. */
  idleBefore: { busy: number; steal: number };
  /** Supervisor's autogroup decision as seen from outside: each container's /proc/<pid>/autogroup. */
  autogroups: Record<string, string>;
  durationMs: number;
}

/** Other load above this fraction of the CPU (busy with others + steal) makes the machine "busy". */
export const BUSY_THRESHOLD = 0.05;
export const RATIO_TOLERANCE = 0.15;

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;
const secs = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`);
const ratio = (x: number | null) => (x === null ? '-' : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function otherLoad(r: ScenarioResult): number {
  return r.load ? r.load.other + r.load.steal : 0;
}

export function label(r: ScenarioResult, name: string): string {
  const c = r.containers.find((x) => x.name === name)!;
  return `${c.name}: ${c.workload} nice ${fmtNice(c.nice)}`;
}

export function verdict(r: ScenarioResult): string {
  if (r.ratioError === null) return '-';
  const within = Math.abs(r.ratioError) <= RATIO_TOLERANCE;
  const busy = otherLoad(r) > BUSY_THRESHOLD;
  if (within) return `within ${pct(RATIO_TOLERANCE, 0)}${busy ? ' (CPU busy)' : ''}`;
  return busy ? `off by more than ${pct(RATIO_TOLERANCE, 0)}; CPU busy (${pct(otherLoad(r))} other load)` : `off by more than ${pct(RATIO_TOLERANCE, 0)} on an idle CPU`;
}

export function resultsTable(results: ScenarioResult[]): string {
  const rows = [
    '| scenario | container | nice | predicted share | measured share | CPU used | waited for CPU | completion | other load while both ran | other load, whole scenario |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    for (const c of r.containers) {
      const completion =
        c.completion === 'cpu budget reached' || c.completion === 'exited' ? secs(c.completionMs) : c.completion === 'stopped (background)' ? 'stopped' : 'timed out';
      rows.push(
        `| ${r.title} | ${c.name} (${c.workload}) | ${fmtNice(c.nice)} | ${pct(c.predictedShare)} | ${pct(c.measuredShare)} | ${pct(c.cpuUse)} | ${secs(c.waitMs)} | ${completion} | ${r.load ? `${pct(r.load.other)} + ${pct(r.load.steal)} steal` : '-'} | ${r.loadWhole ? `${pct(r.loadWhole.other)} + ${pct(r.loadWhole.steal)} steal` : '-'} |`,
      );
    }
  }
  return rows.join('\n');
}

/** One line saying where and when the table was measured. */
export function summaryLine(info: RunInfo, results: ScenarioResult[]): string {
  const key = results.find((r) => r.id === 'nice-m10-10');
  return `Measured ${info.date.slice(0, 16).replace('T', ' ')} UTC, ${info.mode} run, kernel ${info.kernel}, autogroup ${info.autogroup}, all containers on CPU ${info.cpu}${
    key ? `; other load on that CPU during the -10/+10 pair: ${pct(otherLoad(key))} (${otherLoad(key) > BUSY_THRESHOLD ? 'busy' : 'idle'})` : ''
  }. Full report: [bench/results/sched.md](../bench/results/sched.md).`;
}

/** One row per scenario: the table docs/scheduler.md carries (bench:sched section). */
export function summaryTable(results: ScenarioResult[]): string {
  const rows = [
    '| scenario (pinned to one CPU) | nice a / b | predicted share a / b | measured share a / b | ratio predicted / measured | completion a / b | other load |',
    '|---|---|---|---|---|---|---:|',
  ];
  for (const r of results) {
    const cs = r.containers;
    const join = (f: (c: ScenarioResult['containers'][number]) => string) => cs.map(f).join(' / ');
    const completion = join((c) => (c.completionMs !== null ? secs(c.completionMs) : c.completion === 'stopped (background)' ? 'stopped' : 'timed out'));
    const ratios = r.predictedRatio !== null ? `${ratio(r.predictedRatio)} / ${ratio(r.measuredRatio)}` : '-';
    rows.push(
      `| ${r.title} | ${join((c) => fmtNice(c.nice))} | ${join((c) => pct(c.predictedShare))} | ${join((c) => pct(c.measuredShare))} | ${ratios} | ${completion} | ${r.load ? pct(r.load.other + r.load.steal) : '-'} |`,
    );
  }
  return rows.join('\n');
}

export function ratioTable(results: ScenarioResult[]): string {
  const rows = ['| scenario | predicted ratio a:b (weights) | measured ratio | error | verdict |', '|---|---:|---:|---:|---|'];
  for (const r of results) {
    if (r.predictedRatio === null) continue;
    rows.push(`| ${r.title} | ${ratio(r.predictedRatio)} | ${ratio(r.measuredRatio)} | ${r.ratioError === null ? '-' : `${r.ratioError >= 0 ? '+' : ''}${pct(r.ratioError)}`} | ${r.kind === 'cpu-pair' || r.kind === 'memory-fast' ? verdict(r) : 'prediction assumes both CPU-bound: not expected to hold'} |`);
  }
  return rows.join('\n');
}

export function markdown(info: RunInfo, results: ScenarioResult[]): string {
  const key = results.find((r) => r.id === 'nice-m10-10');
  // Other load counts where the containers wanted the whole CPU; next to io_pulse or memory_hog
  // (mostly asleep) other work only fills idle time.
  const saturating = results.filter((r) => r.kind === 'cpu-pair' || r.kind === 'cpu-io' || r.kind === 'memory-fast');
  const maxOther = saturating.length ? Math.max(...saturating.map(otherLoad)) : 0;
  const busy = maxOther > BUSY_THRESHOLD;
  const lines = [
    '# Scheduler experiment: how containers share one CPU',
    '',
    `Generated by \`npm run experiment:sched${info.mode === 'quick' ? ' -- --quick' : ''}\` on ${info.date} (${info.mode} run, ${(info.durationMs / 1000).toFixed(0)} s).`,
    '',
    `- Kernel ${info.kernel}; autogroup ${info.autogroup}; online CPUs ${info.onlineCpus}.`,
    `- Every container was started through the supervisor with \`--cpus ${info.cpu}\` (all on CPU ${info.cpu}); the bench itself ran on CPU ${info.hostCpus ?? info.cpu} and the supervisor unpinned (its CPU time on CPU ${info.cpu}, if any, counts as other load).`,
    `- Each container is its own session; the supervisor writes its nice into /proc/<pid>/autogroup (seen: ${Object.entries(info.autogroups).map(([k, v]) => `${k} \`${v}\``).join(', ') || 'n/a'}).`,
    `- CPU time sampled every ${info.intervalMs} ms from /proc/<pid>/stat (utime+stime) and /proc/<pid>/task/*/schedstat (ns), container and descendants.`,
    `- cpu_hog pairs: fixed work. Each hog must get ${(info.cpuBudgetMs / 1000).toFixed(1)} s of CPU; the bench stops it the moment it has. Completion = time from the common start until it had its budget. Shares are measured while both competed (until the first finished).${info.memBudgetMs ? ` The never-sleeping memory_hog loops are fixed work the same way (${(info.memBudgetMs / 1000).toFixed(1)} s of CPU each).` : ''}`,
    `- Rootfs copies on ${info.scratchFs} (io_pulse fsyncs there).`,
    '',
    '## Load on the pinned CPU',
    '',
    `Before the run, CPU ${info.cpu} was ${pct(info.idleBefore.busy)} busy with other work and lost ${pct(info.idleBefore.steal)} to steal (1 s sample, nothing of ours on it).`,
    `While CPU-bound containers competed, other load on CPU ${info.cpu} (its busy time minus the containers' own, plus steal) was at most ${pct(maxOther)}${
      busy
        ? `: **the CPU was busy** during ${saturating.filter((r) => otherLoad(r) > BUSY_THRESHOLD).map((r) => `${r.title} (${pct(otherLoad(r))})`).join(', ')}; those shares were measured with other work competing, their CPU use is lower, the ratio between the two is less affected`
        : ` (threshold ${pct(BUSY_THRESHOLD, 0)}): the CPU was idle apart from the containers`
    }.${key ? ` During the -10/+10 pair it was ${pct(otherLoad(key))}: ${otherLoad(key) > BUSY_THRESHOLD ? 'busy, so that check is not a clean one' : 'idle, a clean check'}.` : ''}`,
    'Where the containers mostly sleep (io_pulse alone, the memory_hog pair), other processes of the host fill the idle time; that load is in the table too but does not compete with them.',
    '',
    '## Results',
    '',
    summaryTable(results),
    '',
    'Per container:',
    '',
    resultsTable(results),
    '',
    'predicted share: weight / sum of weights (kernel sched_prio_to_weight), the share each would get if all were CPU-bound. measured share: the container\'s part of the CPU time all containers got while all competed. CPU used: fraction of the pinned CPU in that window. waited for CPU: time runnable but not running (schedstat run_delay) in that window. other load: the pinned CPU\'s busy time not spent on the containers, plus steal; after the first cpu_hog of a pair is done, the second competes with that other load alone, which is what a +19 container\'s completion time mostly shows.',
    '',
    '## Predicted vs measured ratio',
    '',
    ratioTable(results),
    '',
    key
      ? `Pinned -10/+10: predicted ${ratio(key.predictedRatio)}:1, measured ${ratio(key.measuredRatio)}:1 (${key.ratioError === null ? '-' : `${key.ratioError >= 0 ? '+' : ''}${pct(key.ratioError)}`}): ${verdict(key)}.`
      : '',
    '',
    '![predicted vs measured CPU ratio](sched-ratio.svg)',
    '',
    '## CPU share over time',
    '',
    ...results.flatMap((r) => [`### ${r.title}`, '', `![${r.title}](sched-timeline-${r.id}.svg)`, '']),
    '## Workload output (last line)',
    '',
    'cpu_hog containers are stopped (SIGKILL) the moment they have had their CPU budget, so they print no final line.',
    '',
    ...results.flatMap((r) => r.containers.filter((c) => c.lastLine).map((c) => `- ${r.id} ${c.name}: \`${c.lastLine}\` (final state ${c.finalState})`)),
    '',
  ];
  return lines.join('\n');
}

async function render(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Predicted vs measured CPU ratio (first container over second), log scale: one dumbbell per scenario. */
export function ratioChart(results: ScenarioResult[]): Promise<string> {
  const rows = results.filter((r) => r.predictedRatio !== null && r.measuredRatio !== null);
  const values = rows.flatMap((r) => [
    { scenario: r.title, kind: 'predicted (weights)', ratio: r.predictedRatio },
    { scenario: r.title, kind: 'measured', ratio: r.measuredRatio },
  ]);
  const pairs = rows.map((r) => ({ scenario: r.title, lo: Math.min(r.predictedRatio!, r.measuredRatio!), hi: Math.max(r.predictedRatio!, r.measuredRatio!) }));
  const y = { field: 'scenario', type: 'nominal', sort: null, title: null, axis: { labelLimit: 360 } };
  const x = { scale: { type: 'log', domain: [0.1, 1000], clamp: true }, title: 'CPU time of a / CPU time of b (log scale)' };
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'CPU ratio a : b, predicted from nice weights vs measured', subtitle: 'two containers pinned to one CPU' },
    width: 480,
    height: 26 * rows.length,
    layer: [
      { data: { values: pairs }, mark: { type: 'rule', color: '#999' }, encoding: { y, x: { field: 'lo', type: 'quantitative', ...x }, x2: { field: 'hi' } } },
      {
        data: { values },
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          y,
          x: { field: 'ratio', type: 'quantitative', ...x },
          color: { field: 'kind', type: 'nominal', title: null, legend: { orient: 'bottom' } },
          shape: { field: 'kind', type: 'nominal', title: null },
        },
      },
      {
        data: { values },
        transform: [{ filter: "datum.kind === 'measured'" }],
        mark: { type: 'text', dy: -10, fontSize: 10 },
        encoding: { y, x: { field: 'ratio', type: 'quantitative', ...x }, text: { field: 'ratio', type: 'quantitative', format: '.3~r' } },
      },
    ],
  } as vl.TopLevelSpec);
}

/** CPU use per 100 ms interval of each container in one scenario. */
export function timelineChart(r: ScenarioResult): Promise<string> {
  const values = r.series.map((p) => ({ t: p.t, container: label(r, p.name), use: p.use * 100 }));
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: r.title, subtitle: `share of CPU ${r.cpu} per 100 ms interval` },
    width: 560,
    height: 220,
    data: { values },
    mark: { type: 'line', interpolate: 'step-before', strokeWidth: 1.5, clip: true },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time since start (s)' },
      y: { field: 'use', type: 'quantitative', title: `% of CPU ${r.cpu}`, scale: { domain: [0, 105] } },
      color: { field: 'container', type: 'nominal', title: null, legend: { orient: 'bottom' } },
    },
  } as vl.TopLevelSpec);
}
