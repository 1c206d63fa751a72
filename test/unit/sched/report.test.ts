// The experiment's report: verdicts, tables and charts from synthetic results (no root needed).

import test from 'ava';
import type { ScenarioResult } from '../../../bench/sched/experiment.js';
import { markdown, ratioChart, summaryTable, timelineChart, verdict, type RunInfo } from '../../../bench/sched/report.js';

function pair(id: string, nices: [number, number], predicted: number, measured: number, other: number): ScenarioResult {
  const c = (name: string, nice: number, share: number) => ({
    name,
    id: `x-${id}-${name}`,
    workload: 'cpu_hog' as const,
    command: ['/cpu_hog', '120'],
    nice,
    pid: 1,
    predictedShare: share,
    measuredShare: share,
    cpuUse: share,
    cpuMs: share * 5000,
    waitMs: 10,
    completionMs: 5000,
    completion: 'cpu budget reached' as const,
    finalState: 'stopped',
    exitCode: 137,
    lastLine: null,
    totalCpuMs: 5000,
  });
  return {
    id,
    title: `cpu_hog nice ${nices[0]} vs cpu_hog nice ${nices[1]}`,
    kind: 'cpu-pair',
    cpu: 1,
    durationMs: 10_000,
    window: { fromMs: 0, toMs: 5000 },
    containers: [c('a', nices[0], 0.99), c('b', nices[1], 0.01)],
    predictedRatio: predicted,
    measuredRatio: measured,
    ratioError: measured / predicted - 1,
    load: { busy: 1, steal: 0, idle: 0, targets: 1 - other, other },
    loadWhole: { busy: 1, steal: 0, idle: 0, targets: 1 - other, other },
    series: [
      { t: 0.1, name: 'a', use: 0.99 },
      { t: 0.1, name: 'b', use: 0.01 },
      { t: 0.2, name: 'a', use: 0.98 },
      { t: 0.2, name: 'b', use: 0.02 },
    ],
    samples: 3,
  };
}

const info: RunInfo = {
  date: '2026-01-01T00:00:00.000Z',
  mode: 'full',
  kernel: '6.x',
  autogroup: 'on',
  cpu: 1,
  hostCpus: '0',
  onlineCpus: '0-1',
  intervalMs: 100,
  cpuBudgetMs: 5000,
  memBudgetMs: 3000,
  scratchFs: 'ext4',
  idleBefore: { busy: 0.01, steal: 0 },
  autogroups: {},
  durationMs: 60_000,
};

test('verdict: within 15%, or off, and whether the CPU was busy', (t) => {
  t.is(verdict(pair('nice-m10-10', [-10, 10], 86.8, 90, 0.01)), 'within 15%');
  t.is(verdict(pair('nice-m10-10', [-10, 10], 86.8, 90, 0.2)), 'within 15% (CPU busy)');
  t.is(verdict(pair('nice-m10-10', [-10, 10], 86.8, 120, 0.01)), 'off by more than 15% on an idle CPU');
  t.regex(verdict(pair('nice-m10-10', [-10, 10], 86.8, 120, 0.3)), /off by more than 15%; CPU busy \(30.0% other load\)/);
});

test('markdown: idle or busy is stated, tables and chart links are there', (t) => {
  const idle = markdown(info, [pair('nice-m10-10', [-10, 10], 86.8, 88, 0.01)]);
  t.regex(idle, /the CPU was idle apart from the containers/);
  t.regex(idle, /During the -10\/\+10 pair it was 1.0%: idle, a clean check/);
  t.regex(idle, /Pinned -10\/\+10: predicted 86.8:1, measured 88.0:1 \(\+1.4%\): within 15%/);
  t.regex(idle, /!\[predicted vs measured CPU ratio\]\(sched-ratio.svg\)/);
  t.regex(idle, /sched-timeline-nice-m10-10.svg/);
  const busy = markdown(info, [pair('nice-m10-10', [-10, 10], 86.8, 88, 0.4)]);
  t.regex(busy, /\*\*the CPU was busy\*\*/);
  t.regex(busy, /busy, so that check is not a clean one/);
  const table = summaryTable([pair('nice-0-5', [0, 5], 3.06, 3.1, 0)]);
  t.is(table.split('\n').length, 3);
  t.regex(table, /\| 0 \/ \+5 \| 99.0% \/ 1.0% \| 99.0% \/ 1.0% \| 3.06 \/ 3.10 \| 5.00 s \/ 5.00 s \| 0.0% \|/);
});

test('charts render to SVG through vega-lite and vega', async (t) => {
  const results = [pair('nice-m10-10', [-10, 10], 86.8, 88, 0.01), pair('nice-0-5', [0, 5], 3.06, 0, 0.01)];
  const ratio = await ratioChart(results);
  t.true(ratio.startsWith('<svg'));
  t.regex(ratio, /CPU ratio a : b/);
  const timeline = await timelineChart(results[0]);
  t.true(timeline.startsWith('<svg'));
  t.regex(timeline, /a: cpu_hog nice -10/);
});
