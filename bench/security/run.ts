// npm run bench:security [-- --runs N] [--rounds N] [--no-write]
//
// What containment costs: whole containers through a real supervisor (containers.ts: the defaults
// against --privileged and seccomp=unconfined, side by side in one run), and the security
// modules' own costs (modules.ts). Prints the tables; writes bench/results/security.{md,json} and
// the section of docs/security.md between the bench:security markers. Needs root and `make`.
// Figures are for this machine and noisy on a shared host: compare rows of one run, not runs.

import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src/paths.js';
import { e2eSkipReason } from '../../test/support/skip.js';
import { hostDevices } from '../../src/security/host-devices.js';
import { mdTable, systemLine, writeDocsSection } from '../report/docs.js';
import { containerCosts, VARIANTS } from './containers.js';
import { moduleCosts } from './modules.js';
import { ms, showStats } from './stats.js';

function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`bench:security: ${name} must be a positive whole number\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const runs = numberArg('--runs', 20);
  const rounds = numberArg('--rounds', 20);
  const write = !process.argv.includes('--no-write');
  if (e2eSkipReason) throw new Error(e2eSkipReason);

  const system = systemLine();
  const c = await containerCosts(rounds);
  const base = c.socket.default.median;
  const containerTable = mdTable(
    ['`engine run ID R /bin/true`', 'CLI, as a user runs it: median (min-max)', 'over the socket (no CLI process): median (min-max)', 'socket vs default'],
    VARIANTS.map((v) => [v.name, showStats(c.cli[v.name]), showStats(c.socket[v.name]), `${(c.socket[v.name].median / base).toFixed(2)}x`]),
    ['l', 'r', 'r', 'r'],
  );
  const floorTable = mdTable(['floor (timed like the CLI column)', 'median (min-max)'], Object.entries(c.floors).map(([k, s]) => [k, showStats(s)]), ['l', 'r']);
  const diff = c.socket.default.median - c.socket['--privileged'].median;
  const filterCost = c.socket.default.median - c.socket['--security-opt seccomp=unconfined'].median;
  const hostNodes = hostDevices().length;
  const compiles = c.compiles;
  const modules = moduleCosts(runs);
  const moduleTable = mdTable(['security module step', 'median (min-max)'], modules.map(([what, s]) => [what, showStats(s)]), ['l', 'r']);

  const md = [
    `Run: ${system}; ${rounds} rounds of containers (variants alternating, after 2 warm-up rounds), ${runs} runs per module figure.`,
    '',
    containerTable,
    '',
    floorTable,
    '',
    `Socket medians: the default container took ${ms(Math.abs(diff))} ms ${diff >= 0 ? 'more' : 'less'} than a \`--privileged\` one ` +
      `(which has no filter to install but ${hostNodes} host device nodes to create in its /dev), and ${ms(Math.abs(filterCost))} ms ` +
      `${filterCost >= 0 ? 'more' : 'less'} than the same container without the seccomp filter. The CLI column adds Node's start-up (see the floors). ` +
      `libseccomp compilations in the supervisor (\`engine info\`): ${compiles.beforeAny} before any container, ${compiles.afterFirst} after the first, ` +
      `${compiles.atEnd} after all ${compiles.containers}: the filter is compiled once per supervisor and filter, and every later container pays only ` +
      'the cache hit in the table below.',
    '',
    moduleTable,
  ].join('\n');
  process.stdout.write(`${md}\n`);
  if (write) {
    const out = path.join(REPO_ROOT, 'bench/results');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'security.json'), JSON.stringify({ system, runs, containers: c, modules: Object.fromEntries(modules) }, null, 1) + '\n');
    fs.writeFileSync(path.join(out, 'security.md'), `# bench:security\n\n${md}\n`);
    if (!writeDocsSection(path.join(REPO_ROOT, 'docs/security.md'), 'security', md)) process.stderr.write('bench:security: docs/security.md has no bench:security markers: not updated\n');
  }
}

main().catch((err) => {
  process.stderr.write(`bench:security: ${(err as Error).message}\n`);
  process.exit(1);
});
