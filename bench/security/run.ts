// npm run bench:security [-- --runs N]
//
// What the security path costs the supervisor and engine-oci, per container and per process:
//   - importing the spec validator (engine-oci `create` pays it on every container): a fresh node
//     per run, the import timed inside it, compared with importing zod and a module-less baseline
//   - compiling the default seccomp profile with libseccomp (uncached: the addon called directly),
//     and a cache hit through compileSeccomp
//   - parseConfig of a full default spec, buildSpec from flags, securityPlan
// Prints a table (median and range of N runs); figures are for this machine, noisy on a shared host.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../src/paths.js';
import { native } from '../../src/native/addon.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/security/capabilities.js';
import { compileSeccomp, describeFilter } from '../../src/security/seccomp-compile.js';
import { securityPlan } from '../../src/security/plan.js';
import { defaultSeccomp, defaultSpec } from '../../src/spec/defaults.js';
import { buildSpec } from '../../src/spec/from-flags.js';
import { parseConfig } from '../../src/spec/validate.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const f = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(2));
  return `${f(s[Math.floor(s.length / 2)])} ms (${f(s[0])}-${f(s[s.length - 1])})`;
}

function time(fn: () => unknown, runs = RUNS): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Import time of `specifier` measured inside a fresh node process. */
function importTime(specifier: string): number[] {
  const script = `const t=performance.now();await import(${JSON.stringify(specifier)});process.stdout.write(String(performance.now()-t))`;
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    out.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' })));
  }
  return out;
}

const dist = (p: string) => path.join(REPO_ROOT, 'dist', p);
const rows: [string, string][] = [];
rows.push(['import errors.js (one small module: the floor)', stats(importTime(dist('src/errors.js')))]);
rows.push(['import spec/validate.js (11 modules)', stats(importTime(dist('src/spec/validate.js')))]);
rows.push(['import spec/from-flags.js (with defaults and the profile)', stats(importTime(dist('src/spec/from-flags.js')))]);
rows.push(['import zod (for comparison)', stats(importTime('zod'))]);

const addon = native();
const description = describeFilter(defaultSeccomp(DOCKER_DEFAULT_CAPABILITIES));
const first = time(() => addon.compileSeccomp(description), 1);
rows.push(['libseccomp compile of the default profile, first in the process', stats(first)]);
rows.push([`libseccomp compile of the default profile (${addon.compileSeccomp(description).length / 8} BPF instructions)`, stats(time(() => addon.compileSeccomp(description)))]);
compileSeccomp(defaultSeccomp(DOCKER_DEFAULT_CAPABILITIES));
const oci = defaultSeccomp(DOCKER_DEFAULT_CAPABILITIES);
rows.push(['compileSeccomp cache hit (describe + key + lookup)', stats(time(() => compileSeccomp(oci), RUNS * 10))]);

const spec = JSON.parse(JSON.stringify(defaultSpec({ args: ['/bin/sh'], hostname: 'b', rootfs: '/r' })));
rows.push(['parseConfig of the default spec (with its 13 seccomp rules)', stats(time(() => parseConfig(spec), RUNS * 10))]);
rows.push(['buildSpec with no flags (defaults + profile resolution + parseConfig)', stats(time(() => buildSpec({ args: ['/bin/sh'], hostname: 'b' }, '/r'), RUNS * 10))]);
const built = buildSpec({ args: ['/bin/sh'], hostname: 'b' }, '/r');
rows.push(['securityPlan (masks, rlimits, cached filter)', stats(time(() => securityPlan(built), RUNS * 10))]);

const width = Math.max(...rows.map((r) => r[0].length));
console.log(`node ${process.version}, ${RUNS} runs (x10 for the in-process ones); median (min-max)`);
for (const [what, figure] of rows) console.log(`${what.padEnd(width)}  ${figure}`);
