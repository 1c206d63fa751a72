// CLI start-up bench (npm run bench:cli): how long a user waits for `engine ps`, `engine run --rm
// ... /bin/true` and `engine exec ID /bin/true`, against the floor every Node program pays
// (`node -e 0`) and against runc's and crun's whole `run` of /bin/true, all in one run.
//
// Every figure is a whole process, spawn to exit, wall clock. The commands take turns, round after
// round (A B C ... A B C ...), so a machine that slows down mid-run slows them all alike; the
// ratios to `node -e 0` are of medians of the same run. Targets (issue 12): engine ps <= 1.15x,
// engine run --rm <= 1.4x.
//
// Usage: node dist/bench/cli/run.js [--rounds 20] [--out bench/results] [--no-write]

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from '../../src/paths.js';
import { Supervisor } from '../../test/support/harness.js';
import { e2eSkipReason } from '../../test/support/skip.js';
import { mdTable, systemLine, writeDocsSection } from '../report/docs.js';

const LAUNCHER = path.join(REPO_ROOT, 'engine');

interface Subject {
  name: string;
  /** argv for round i */
  argv: (i: number) => string[];
  env?: NodeJS.ProcessEnv;
  /** ratio to node -e 0 that counts as met */
  target?: number;
  note?: string;
  samples: number[];
}

interface Row {
  name: string;
  medianMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  ratio: number | null;
  target: number | null;
  met: boolean | null;
  note: string;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs argv to its exit; resolves the wall time in ms, rejects on a non-zero exit. */
function timed(argv: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`${argv.join(' ')}: exit ${code ?? signal}: ${err.trim().split('\n')[0] ?? ''}`));
    });
  });
}

const installed = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** An OCI bundle for runc/crun: the busybox rootfs, /bin/true, no terminal. */
function ociBundle(dir: string, rootfsBase: string): string {
  const bundle = path.join(dir, 'oci-bundle');
  fs.mkdirSync(bundle, { recursive: true });
  execFileSync('cp', ['-a', rootfsBase, path.join(bundle, 'rootfs')]);
  execFileSync('runc', ['spec'], { cwd: bundle });
  const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
  config.process.args = ['/bin/true'];
  config.process.terminal = false;
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
  return bundle;
}

async function main(): Promise<void> {
  if (e2eSkipReason) throw new Error(`bench:cli ${e2eSkipReason}`);
  const rounds = Number(arg('rounds', '20'));
  const warmup = 2;
  const out = arg('out', path.join(REPO_ROOT, 'bench/results'));
  const write = !process.argv.includes('--no-write');
  const sup = await Supervisor.start();
  const env = { ENGINE_SOCKET: sup.socket };
  const subjects: Subject[] = [];
  const missing: Row[] = [];
  try {
    const rootfs = await sup.rootfs('cli-rootfs');
    const node = process.execPath;
    subjects.push({ name: 'node -e 0', argv: () => [node, '-e', '0'], samples: [], note: 'the floor: Node starting and exiting' });
    subjects.push({ name: 'engine --version', argv: () => [LAUNCHER, '--version'], samples: [], note: 'the launcher, no supervisor' });
    subjects.push({ name: 'engine ps', argv: () => [LAUNCHER, 'ps'], env, target: 1.15, samples: [] });
    subjects.push({ name: 'engine run --rm ID ROOTFS /bin/true', argv: (i) => [LAUNCHER, 'run', '--rm', `cli-run-${i}`, rootfs, '/bin/true'], env, target: 1.4, samples: [] });

    const hasExec = spawnSync(LAUNCHER, ['exec', '--help'], { env: { ...process.env, ...env }, stdio: 'ignore' }).status === 0;
    if (hasExec) {
      await sup.startContainer({ id: 'cli-exec-target', rootfs: await sup.rootfs('cli-exec-rootfs'), command: ['/bin/sh', '-c', 'while :; do sleep 1000; done'] });
      subjects.push({ name: 'engine exec ID /bin/true', argv: () => [LAUNCHER, 'exec', 'cli-exec-target', '/bin/true'], env, samples: [] });
    } else {
      missing.push({ name: 'engine exec ID /bin/true', medianMs: null, minMs: null, maxMs: null, ratio: null, target: null, met: null, note: 'n/a (no exec verb)' });
    }

    const bundle = installed('runc') ? ociBundle(sup.dir, rootfs) : null;
    if (bundle) {
      const root = path.join(sup.dir, 'runc-root');
      subjects.push({ name: 'runc run /bin/true', argv: (i) => ['runc', '--root', root, 'run', '--bundle', bundle, `cli-runc-${i}`], samples: [], note: 'whole run: create, start, wait, delete' });
    } else {
      missing.push({ name: 'runc run /bin/true', medianMs: null, minMs: null, maxMs: null, ratio: null, target: null, met: null, note: 'n/a (runc not installed)' });
    }
    if (bundle && installed('crun') && installed('unshare')) {
      // crun 1.8 refuses this host's hybrid cgroup layout; in a private mount namespace without
      // the cgroup2 mount it runs (the unshare and sh add a few ms to its figure).
      const root = path.join(sup.dir, 'crun-root');
      subjects.push({
        name: 'crun run /bin/true',
        argv: (i) => ['unshare', '-m', '--propagation', 'private', 'sh', '-c', `umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --root ${root} run --bundle ${bundle} cli-crun-${i}`],
        samples: [],
        note: 'through unshare -m + sh (hybrid cgroups), which it pays for',
      });
    } else {
      missing.push({ name: 'crun run /bin/true', medianMs: null, minMs: null, maxMs: null, ratio: null, target: null, met: null, note: 'n/a (crun not installed)' });
    }

    for (let round = 0; round < warmup + rounds; round++) {
      for (const s of subjects) {
        const ms = await timed(s.argv(round), s.env);
        if (round >= warmup) s.samples.push(ms);
      }
    }
  } finally {
    await sup.stop();
  }

  const floor = median(subjects[0].samples);
  const rows: Row[] = subjects.map((s) => {
    const m = median(s.samples);
    const ratio = m / floor;
    return {
      name: s.name,
      medianMs: m,
      minMs: Math.min(...s.samples),
      maxMs: Math.max(...s.samples),
      ratio,
      target: s.target ?? null,
      met: s.target === undefined ? null : ratio <= s.target,
      note: s.note ?? '',
    };
  });
  rows.push(...missing);
  const system = `${systemLine()}; ${rounds} rounds after ${warmup} warm-up, the commands in turn`;
  const f = (v: number | null, d = 1) => (v === null ? '-' : v.toFixed(d));
  const md = [
    `${system}.`,
    '',
    mdTable(
      ['command', 'median ms', 'min ms', 'max ms', 'x node -e 0', 'target', 'met', 'note'],
      rows.map((r) => [r.name, f(r.medianMs), f(r.minMs), f(r.maxMs), r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`, r.target === null ? '-' : `<= ${r.target}x`, r.met === null ? '-' : r.met ? 'yes' : 'no', r.note]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'l', 'l'],
    ),
  ].join('\n');
  process.stdout.write(`${md}\n`);
  if (write) {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'cli.json'), JSON.stringify({ system, rows, samples: Object.fromEntries(subjects.map((s) => [s.name, s.samples])) }, null, 2) + '\n');
    fs.writeFileSync(path.join(out, 'cli.md'), `# bench:cli\n\n${md}\n`);
    writeDocsSection(path.join(REPO_ROOT, 'docs/cli.md'), 'cli', md);
  }
}

main().catch((err) => {
  process.stderr.write(`bench:cli: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
