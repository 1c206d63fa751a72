// Control-loop bench (npm run bench:loop): how late the supervisor's event loop runs, and how long
// a `ps` takes to come back, while the supervisor is busy. Scenarios, each on a real supervisor:
//   idle        nothing happening (the baseline of the same run)
//   start-50    50 containers started at once
//   log-256     256 containers writing their output at full speed
//   stop        a container that ignores SIGTERM being stopped (the grace, then SIGKILL)
// For each: the supervisor's own loop delay over the scenario (perf_hooks.monitorEventLoopDelay,
// read with `engine info`, reset at the start), and `ps` round trips sent over the socket every
// 20 ms by this process (the supervisor's latency, without a CLI process's start-up), plus a few
// `engine ps` CLI runs (what a user waits for). Target: max loop delay under 50 ms everywhere.
//
// Usage: node dist/bench/loop/run.js [--out bench/results] [--no-write] [--containers-log 256]
//                                    [--log-mib 8] [--cpu-prof DIR (profile the supervisor)]

import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from '../../src/paths.js';
import type { LoopDelayInfo, SupervisorInfo } from '../../src/protocol/messages.js';
import { Supervisor } from '../../test/support/harness.js';
import { until } from '../../test/support/process.js';
import { e2eSkipReason } from '../../test/support/skip.js';
import { mdTable, systemLine, writeDocsSection } from '../report/docs.js';

interface Stats {
  n: number;
  median: number;
  p99: number;
  max: number;
}

interface ScenarioResult {
  name: string;
  what: string;
  wallMs: number;
  loop: SupervisorInfo['loopDelay'];
  psSocket: Stats;
  psCli: Stats | null;
}

function stats(values: number[]): Stats {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number) => v[Math.min(v.length - 1, Math.floor(q * v.length))] ?? NaN;
  return { n: v.length, median: at(0.5), p99: at(0.99), max: v.at(-1) ?? NaN };
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** ps over the socket every everyMs until stop() resolves; returns the round trips (ms). */
function pingPs(sup: Supervisor, everyMs = 20) {
  const rtts: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await sup.call({ verb: 'ps' });
      rtts.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop(): Promise<number[]> {
      running = false;
      await loop;
      return rtts;
    },
  };
}

async function cliPs(sup: Supervisor, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await sup.engine('ps');
    if (r.code !== 0) throw new Error(`engine ps: ${r.stderr}`);
    out.push(performance.now() - t0);
  }
  return out;
}

async function scenario(sup: Supervisor, name: string, what: string, body: () => Promise<number[] | null>): Promise<ScenarioResult> {
  await sup.info(true); // reset the loop-delay histogram
  const ping = pingPs(sup);
  const t0 = performance.now();
  const cli = await body();
  const wallMs = performance.now() - t0;
  const rtts = await ping.stop();
  const info = await sup.info();
  const r = { name, what, wallMs, loop: info.loopDelay, psSocket: stats(rtts), psCli: cli ? stats(cli) : null };
  const w = r.loop?.worstStall;
  process.stderr.write(`${name}: loop max ${r.loop?.maxMs} ms${w ? ` (worst stall ${w.lateMs} ms: ran ${w.cpuMs}, waited for a CPU ${w.waitMs}, blocked ${w.blockedMs})` : ''}, ps p99 ${r.psSocket.p99.toFixed(1)} ms (${rtts.length} samples)\n`);
  return r;
}

/** Which of the three causes made the worst stall (loop-delay.ts), in words. */
function whatBlocked(w: LoopDelayInfo['worstStall'] | undefined): string {
  if (!w) return 'no stall was sampled';
  const parts: Array<[number, string]> = [
    [w.cpuMs, 'synchronous work on the main thread'],
    [w.waitMs, 'waiting for a CPU while other threads and processes had both'],
    [w.blockedMs, 'blocked in a system call or on a lock'],
  ];
  const [ms, what] = parts.reduce((a, b) => (b[0] > a[0] ? b : a));
  return `its worst stall, ${w.lateMs.toFixed(1)} ms, was mostly ${what} (${ms.toFixed(1)} ms)`;
}

async function main(): Promise<void> {
  if (e2eSkipReason) throw new Error(`bench:loop ${e2eSkipReason}`);
  const out = arg('out', path.join(REPO_ROOT, 'bench/results'));
  const write = !process.argv.includes('--no-write');
  const nLog = Number(arg('containers-log', '256'));
  const logMiB = Number(arg('log-mib', '8'));
  const profile = arg('cpu-prof', '');
  const sup = await Supervisor.start({ graceMs: 2000, nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [] });
  const results: ScenarioResult[] = [];
  try {
    // Rootfs copies first: making them is the bench's work, not the supervisor's.
    const roots = await Promise.all(Array.from({ length: Math.max(50, nLog) }, () => sup.linkedRootfs()));
    results.push(
      await scenario(sup, 'idle', 'nothing happening (baseline)', async () => {
        await new Promise((r) => setTimeout(r, 2000));
        return cliPs(sup, 5);
      }),
    );

    results.push(
      await scenario(sup, 'start-50', '50 containers started at once', async () => {
        await Promise.all(roots.slice(0, 50).map((rootfs, i) => sup.startContainer({ id: `s${i}`, rootfs, command: ['/probe', 'hold'] })));
        return null;
      }),
    );
    await Promise.all(Array.from({ length: 50 }, (_, i) => sup.remove(`s${i}`)));

    results.push(
      await scenario(sup, `log-${nLog}`, `${nLog} containers writing ${logMiB} MiB each at full speed`, async () => {
        const cli = cliPs(sup, 3);
        await Promise.all(roots.slice(0, nLog).map((rootfs, i) => sup.startContainer({ id: `l${i}`, rootfs, command: ['/probe', 'write', `${logMiB}M`] })));
        await until('every writer to end', async () => {
          const r = await sup.call({ verb: 'ps' });
          return r.ok && r.event === 'list' && r.records.filter((c) => c.id.startsWith('l') && (c.state === 'starting' || c.state === 'running')).length === 0;
        }, 600_000, 100);
        return cli;
      }),
    );
    for (let i = 0; i < nLog; i++) await sup.remove(`l${i}`);

    await sup.startContainer({ id: 'stubborn', rootfs: roots[0], command: ['/probe', 'ignore-term'] });
    results.push(
      await scenario(sup, 'stop', 'a container that ignores SIGTERM stopped with a 2 s grace', async () => {
        const stopping = sup.call({ verb: 'stop', id: 'stubborn', timeoutMs: 2000 });
        const cli = await cliPs(sup, 5);
        await stopping;
        return cli;
      }),
    );
  } finally {
    await sup.stop();
  }

  const f = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(1));
  const table = mdTable(
    ['scenario', 'wall (s)', 'loop delay p50 (ms)', 'p99', 'max', 'worst stall (ms): ran / waited for a CPU / blocked', 'main thread: ran / waited (ms)', 'ps over socket median (ms)', 'p99', 'max', 'samples', '`engine ps` median (ms)'],
    results.map((r) => [
      `${r.name}: ${r.what}`,
      (r.wallMs / 1000).toFixed(1),
      f(r.loop?.p50Ms),
      f(r.loop?.p99Ms),
      f(r.loop?.maxMs),
      r.loop?.worstStall ? `${f(r.loop.worstStall.lateMs)}: ${f(r.loop.worstStall.cpuMs)} / ${f(r.loop.worstStall.waitMs)} / ${f(r.loop.worstStall.blockedMs)}` : '-',
      r.loop?.mainThread ? `${f(r.loop.mainThread.cpuMs)} / ${f(r.loop.mainThread.waitMs)}` : '-',
      f(r.psSocket.median),
      f(r.psSocket.p99),
      f(r.psSocket.max),
      r.psSocket.n,
      r.psCli ? f(r.psCli.median) : '-',
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const worstRun = results.reduce((a, b) => ((b.loop?.maxMs ?? 0) > (a.loop?.maxMs ?? 0) ? b : a));
  const worst = worstRun.loop?.maxMs ?? 0;
  const verdict = worst < 50 ? `max loop delay ${worst.toFixed(1)} ms: under the 50 ms target in every scenario` : `max loop delay ${worst.toFixed(1)} ms: OVER the 50 ms target (${worstRun.name}; ${whatBlocked(worstRun.loop?.worstStall)})`;
  const md = `Run: ${systemLine()}.\n\n${table}\n\n${verdict}.\n`;
  process.stdout.write(`${md}`);
  if (write) {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'loop.json'), JSON.stringify({ system: systemLine(), results }, null, 2) + '\n');
    fs.writeFileSync(path.join(out, 'loop.md'), `# bench:loop\n\n${md}`);
    writeDocsSection(path.join(REPO_ROOT, 'docs/supervisor.md'), 'loop', md);
  }
}

main().catch((err) => {
  process.stderr.write(`bench:loop: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
