// What the security modules cost the supervisor and engine-oci, per container and per process:
//   - importing the spec validator (engine-oci `create` pays it on every container): a fresh node
//     per run, the import timed inside it, compared with importing zod and a module-less baseline
//   - compiling the default seccomp profile with libseccomp (uncached: the addon called directly),
//     and a cache hit through compileSeccomp
//   - parseConfig of a full default spec, buildSpec from flags, securityPlan

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
import { timeStats, type Stats } from './stats.js';

function time(fn: () => unknown, runs: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Import time of `specifier` measured inside a fresh node process. */
function importTime(specifier: string, runs: number): number[] {
  const script = `const t=performance.now();await import(${JSON.stringify(specifier)});process.stdout.write(String(performance.now()-t))`;
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    out.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' })));
  }
  return out;
}

/** [what, stats] rows: `runs` fresh processes for imports, 10x `runs` calls for the in-process ones. */
export function moduleCosts(runs: number): Array<[string, Stats]> {
  const dist = (p: string) => path.join(REPO_ROOT, 'dist', p);
  const rows: Array<[string, Stats]> = [];
  rows.push(['import errors.js (one small module: the floor)', timeStats(importTime(dist('src/errors.js'), runs))]);
  rows.push(['import spec/validate.js (11 modules)', timeStats(importTime(dist('src/spec/validate.js'), runs))]);
  rows.push(['import spec/from-flags.js (with defaults and the profile)', timeStats(importTime(dist('src/spec/from-flags.js'), runs))]);
  rows.push(['import zod (for comparison)', timeStats(importTime('zod', runs))]);

  const addon = native();
  const description = describeFilter(defaultSeccomp(DOCKER_DEFAULT_CAPABILITIES));
  rows.push(['libseccomp compile of the default profile, first in the process', timeStats(time(() => addon.compileSeccomp(description), 1))]);
  const instructions = addon.compileSeccomp(description).length / 8;
  rows.push([`libseccomp compile of the default profile (${instructions} BPF instructions)`, timeStats(time(() => addon.compileSeccomp(description), runs))]);
  const oci = defaultSeccomp(DOCKER_DEFAULT_CAPABILITIES);
  compileSeccomp(oci);
  rows.push(['compileSeccomp cache hit (describe + key + lookup): what each container pays', timeStats(time(() => compileSeccomp(oci), runs * 10))]);

  const spec = JSON.parse(JSON.stringify(defaultSpec({ args: ['/bin/sh'], hostname: 'b', rootfs: '/r' })));
  rows.push(['parseConfig of the default spec (with its seccomp rules)', timeStats(time(() => parseConfig(spec), runs * 10))]);
  rows.push(['buildSpec with no flags (defaults + profile resolution + parseConfig)', timeStats(time(() => buildSpec({ args: ['/bin/sh'], hostname: 'b' }, '/r'), runs * 10))]);
  rows.push(['buildSpec --privileged (no profile; host devices listed)', timeStats(time(() => buildSpec({ args: ['/bin/sh'], hostname: 'b', privileged: true }, '/r'), runs * 10))]);
  const built = buildSpec({ args: ['/bin/sh'], hostname: 'b' }, '/r');
  rows.push(['securityPlan (masks, rlimits, cached filter)', timeStats(time(() => securityPlan(built), runs * 10))]);
  return rows;
}
