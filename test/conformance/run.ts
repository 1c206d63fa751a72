// The conformance lane: every validation program against every runtime, side by side.
//   node --import tsx test/conformance/run.ts [--runtime runc|engine]... [--program NAME]...
// Environment: CONFORMANCE_DEADLINE_MS (per program, default 150000);
//   CONFORMANCE_PRIVATE_ROOT=0 calls the runtime itself, without --root, as runtime-tools does
//   (containers a timed-out program leaves are then not cleaned up);
//   CONFORMANCE_PROGRAMS_DIR=DIR runs prebuilt programs instead of building ours: every executable
//   in DIR except runtimetest, with DIR as the working directory (it must hold runtimetest and
//   rootfs-amd64.tar.gz), e.g. runtime-tools' own validation binaries where they can be had.
// Builds the suite (build.sh), runs each program with a deadline, once per runtime, through a
// wrapper that gives the runtime a private --root, judges the TAP against known-failures.txt,
// prints a table, and writes test-results/conformance.counts ("passed failed skipped") and
// test-results/conformance.json. Exit 1 on any failure not listed as known.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTap } from './runner/tap.js';
import { judge, parseKnownFailures, type CaseVerdict, type ProgramRun } from './runner/expectations.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const cache = process.env.CONFORMANCE_CACHE ?? join(repo, '.cache/conformance');
const externalPrograms = process.env.CONFORMANCE_PROGRAMS_DIR;
const bin = externalPrograms ? resolve(externalPrograms) : join(cache, 'bin');
const privateRoot = process.env.CONFORMANCE_PRIVATE_ROOT !== '0';
/** Per-program deadline: the slowest program takes ~15 s with runc here; 10x for a loaded CI host. */
const programDeadlineMs = Number(process.env.CONFORMANCE_DEADLINE_MS ?? 150_000);
/** Per-runtime budget (CI has 90 minutes for everything): programs past it are not run, and fail. */
const runtimeBudgetMs = Number(process.env.CONFORMANCE_RUNTIME_BUDGET_MS ?? 600_000);

interface RuntimeUnderTest { name: string; path: string; missing?: string }
const runtimes: RuntimeUnderTest[] = [
  { name: 'runc', path: '/usr/bin/runc' },
  { name: 'engine', path: join(repo, 'engine-oci') },
];
for (const r of runtimes) if (!existsSync(r.path)) r.missing = r.name === 'engine' ? 'engine-oci is not built yet' : `${r.path} is not installed`;

function argList(flag: string): string[] {
  const out: string[] = [];
  process.argv.forEach((a, i) => { if (a === flag && process.argv[i + 1]) out.push(process.argv[i + 1]); });
  return out;
}

function writeCounts(passed: number, failed: number, skipped: number) {
  mkdirSync(join(repo, 'test-results'), { recursive: true });
  writeFileSync(join(repo, 'test-results/conformance.counts'), `${passed} ${failed} ${skipped}\n`);
}

/** The program running now, if any: killed (with its process group) if the lane is interrupted. */
let current: ReturnType<typeof spawn> | null = null;

/** Runs one program; its process group is killed at the deadline. */
function runProgram(program: string, runtime: string, wrapper: string, tmp: string): Promise<ProgramRun & { ms: number }> {
  return new Promise((done) => {
    const started = performance.now();
    const child = spawn(join(bin, program), [], {
      cwd: bin, // runtimetest and rootfs-amd64.tar.gz are found in the working directory
      env: { ...process.env, RUNTIME: wrapper, CONFORMANCE_TMP: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, programDeadlineMs);
    current = child;
    child.on('error', (e) => { stderr += `cannot run ${program}: ${e.message}\n`; });
    child.on('close', (code) => {
      clearTimeout(timer);
      current = null;
      done({ program, runtime, exitCode: code, timedOut, tap: parseTap(stdout), stderr, ms: performance.now() - started });
    });
  });
}

/** Containers a killed program left behind: every id in the private root, force-deleted. */
function cleanRoot(runtimePath: string, root: string) {
  for (const id of existsSync(root) ? readdirSync(root) : []) {
    spawnSync(runtimePath, ['--root', root, 'kill', id, 'KILL'], { stdio: 'ignore', timeout: 10_000 });
    spawnSync(runtimePath, ['--root', root, 'delete', '--force', id], { stdio: 'ignore', timeout: 10_000 });
  }
}

async function main() {
  if (process.getuid?.() !== 0) {
    console.log('ok 1 - conformance lane # SKIP needs root (containers, cgroups, namespaces)');
    writeCounts(0, 0, 1);
    return;
  }
  const build = externalPrograms ? { status: 0 } : spawnSync(join(here, 'build.sh'), { stdio: 'inherit' });
  if (build.status !== 0) {
    console.log('not ok 1 - conformance suite build');
    writeCounts(0, 1, 0);
    process.exitCode = 1;
    return;
  }
  const known = parseKnownFailures(readFileSync(join(here, 'known-failures.txt'), 'utf8'));
  const wantRuntimes = argList('--runtime');
  const selected = runtimes.filter((r) => wantRuntimes.length === 0 || wantRuntimes.includes(r.name));
  const allPrograms = externalPrograms
    ? readdirSync(bin).filter((f) => f !== 'runtimetest' && statSync(join(bin, f)).isFile() && (statSync(join(bin, f)).mode & 0o111) !== 0).sort()
    : readdirSync(join(here, 'suite/validation')).sort();
  const wantPrograms = argList('--program');
  const programs = allPrograms.filter((p) => wantPrograms.length === 0 || wantPrograms.includes(p));

  const work = mkdtempSync(join(tmpdir(), 'engine-conformance-'));
  const live = selected.filter((r) => !r.missing).map((r) => {
    const root = join(work, `root-${r.name}`);
    const tmp = join(work, `tmp-${r.name}`);
    mkdirSync(tmp);
    if (!privateRoot) return { ...r, root, wrapper: r.path, tmp };
    // A private state root: nothing shared with other users of the host's default root.
    const wrapper = join(work, r.name);
    writeFileSync(wrapper, `#!/bin/sh\nexec '${r.path}' --root '${root}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    return { ...r, root, wrapper, tmp };
  });

  // Interrupted: stop the program, remove its containers and the work dir, then exit.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (current?.pid) try { process.kill(-current.pid, 'SIGKILL'); } catch { /* gone */ }
      for (const r of live) cleanRoot(r.path, r.root);
      rmSync(work, { recursive: true, force: true });
      console.log(`conformance: interrupted by ${sig}`);
      writeCounts(0, 1, 0);
      process.exit(1);
    });
  }

  const results: Record<string, Record<string, { verdicts: CaseVerdict[]; ms: number }>> = {};
  const started = performance.now();
  for (const program of programs) {
    results[program] = {};
    // Runtimes alternate program by program, so a slow moment of the host hits both alike.
    for (const r of live) {
      const spent = Object.values(results).reduce((sum, byRuntime) => sum + (byRuntime[r.name]?.ms ?? 0), 0);
      let verdicts: CaseVerdict[];
      let run: ProgramRun & { ms: number };
      if (spent > runtimeBudgetMs) {
        verdicts = [{ key: `${program}#run`, description: 'the program ran', outcome: 'failed', reason: `not run: ${r.name} used up its ${runtimeBudgetMs / 1000} s budget` }];
        run = { program, runtime: r.name, exitCode: null, timedOut: false, tap: { cases: [], planned: null }, stderr: '', ms: 0 };
      } else {
        run = await runProgram(program, r.name, r.wrapper, r.tmp);
        cleanRoot(r.path, r.root);
        verdicts = judge(run, known);
      }
      results[program][r.name] = { verdicts, ms: run.ms };
      for (const v of verdicts) {
        const mark = { passed: 'ok', fixed: 'ok', skipped: 'ok', failed: 'not ok', 'known-failure': 'not ok' }[v.outcome];
        const note = v.outcome === 'known-failure' ? ` # known failure: ${v.reason}` : v.outcome === 'fixed' ? ' # listed as a known failure but passed: remove it from known-failures.txt' : v.outcome === 'skipped' ? ' # SKIP' : '';
        console.log(`${mark} - [${r.name}] ${v.key} ${v.description}${note}`);
        if (v.outcome === 'failed') console.log((v.reason ? `  reason: ${v.reason}\n` : '') + (v.diagnostic ?? '').split('\n').filter(Boolean).map((l) => `  ${l}`).join('\n'));
      }
    }
  }
  rmSync(work, { recursive: true, force: true });

  // Side-by-side table: per program, per runtime, passed/total (known failures, unexpected).
  let passed = 0, failed = 0, skipped = 0;
  const fixed: string[] = [], unexpected: string[] = [];
  const cell = (vs: CaseVerdict[]) => {
    const p = vs.filter((v) => v.outcome === 'passed' || v.outcome === 'fixed').length;
    const k = vs.filter((v) => v.outcome === 'known-failure').length;
    const f = vs.filter((v) => v.outcome === 'failed').length;
    return `${p}/${vs.filter((v) => v.outcome !== 'skipped').length}` + (k ? ` (${k} known)` : '') + (f ? ` ${f} FAILED` : '');
  };
  const header = ['program', ...selected.map((r) => r.name)];
  const rows = programs.map((p) => [p, ...selected.map((r) => (r.missing ? 'skipped' : cell(results[p][r.name].verdicts)))]);
  for (const p of programs) for (const r of live) for (const v of results[p][r.name].verdicts) {
    if (v.outcome === 'passed') passed++;
    else if (v.outcome === 'fixed') { passed++; fixed.push(`${r.name} ${v.key}`); }
    else if (v.outcome === 'failed') { failed++; unexpected.push(`${r.name} ${v.key} ${v.description}`); }
    else skipped++; // known failures and TAP skips
  }
  for (const r of selected) if (r.missing) { skipped++; console.log(`ok - [${r.name}] conformance # SKIP ${r.missing}`); }
  const widths = header.map((_, i) => Math.max(header[i].length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log('\n' + fmt(header) + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n' + rows.map(fmt).join('\n'));
  const totals = live.map((r) => {
    const vs = programs.flatMap((p) => results[p][r.name].verdicts);
    const ms = programs.reduce((s, p) => s + results[p][r.name].ms, 0);
    return `${r.name}: ${cell(vs)} in ${(ms / 1000).toFixed(1)} s`;
  });
  console.log(`\n${totals.join('; ')} (lane ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  if (fixed.length) console.log(`listed as known failures but passed (update test/conformance/known-failures.txt):\n  ${fixed.join('\n  ')}`);
  if (unexpected.length) console.log(`FAILED, not listed as known:\n  ${unexpected.join('\n  ')}`);

  writeFileSync(join(repo, 'test-results/conformance.json'), JSON.stringify({ runtimes: selected, programs: results }, null, 1));
  writeCounts(passed, failed, skipped);
  console.log(`conformance: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (failed > 0) process.exitCode = 1;
}

main().catch((e) => { console.error(`conformance: ${e instanceof Error ? e.message : e}`); writeCounts(0, 1, 0); process.exitCode = 1; });
