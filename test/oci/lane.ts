// The OCI lane: installs what is missing, starts a private containerd and prepares a private podman,
// runs the scenarios (ava, test/oci/ava.config.mjs) against every runtime, then tears everything
// down whatever happened (a failure, a timeout, SIGINT/SIGTERM), and a previous run's leftovers
// if that run was killed outright.
//
// Usage: node --import tsx test/oci/lane.ts [--runtime runc|engine]... [--capture] [--keep] [AVA ARGS...]
//   --runtime NAME  only this runtime (repeatable; default: all, engine skipped until ./engine-oci exists)
//   --capture       give callers a wrapper (same basename) that logs each call and its config.json,
//                   then execs the runtime; the report goes to test-results/oci-capture/
//   --keep          leave the daemons and the lane directory up after the run, and print how to use them
//   --scrub         only remove what earlier runs left (kept lanes, lanes killed outright), then exit
// Counts go to test-results/oci.counts (through scripts/run-ava.mjs).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../src/paths.js';
import { startContainerd, stopContainerd, processesMentioning, type ContainerdDaemon } from './harness/containerd.js';
import { setupPodman, teardownPodman, type PodmanSetup } from './harness/podman.js';
import { knownRuntimes, isRuntimeName, type RuntimeName } from './harness/runtimes.js';
import { cgroupHierarchies, cgroupTree, mountsUnder, processesInCgroup, removeCgroups } from './harness/leftovers.js';
import { run } from './harness/process.js';
import { installCaptureWrappers, writeCaptureReport } from './harness/capture.js';
import type { LaneEnv } from './harness/lane-env.js';

const DEBS = ['containerd', 'podman', 'runc', 'conmon', 'tmux'];
const LANE_PREFIX = 'oci-lane-';
const PID_REUSE_TOOL = path.join(REPO_ROOT, 'test/oci/tools/bin/pid_reuse');

function log(msg: string): void {
  console.log(`# oci-lane: ${msg}`);
}

function parseArgs(argv: string[]) {
  const only: RuntimeName[] = [];
  let capture = false, keep = false, scrubOnly = false;
  const ava: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runtime') {
      const name = argv[++i] ?? '';
      if (!isRuntimeName(name)) { console.error(`oci-lane: --runtime must be runc or engine, not '${name}'`); process.exit(2); }
      only.push(name);
    } else if (a === '--capture') capture = true;
    else if (a === '--keep') keep = true;
    else if (a === '--scrub') scrubOnly = true;
    else ava.push(a);
  }
  return { only, capture, keep, scrubOnly, ava };
}

/** The tag names cgroup parents and containerd namespaces: letters and digits only. */
function tagOf(dir: string): string {
  return `ocilane${path.basename(dir).slice(LANE_PREFIX.length).replace(/[^A-Za-z0-9]/g, '')}`;
}

/** Every cgroup parent of the lane: top-level cgroups named `<tag>-...` in any hierarchy. */
function cgroupParents(tag: string): string[] {
  const names = new Set<string>();
  for (const h of cgroupHierarchies()) {
    for (const e of fs.readdirSync(h, { withFileTypes: true })) if (e.isDirectory() && e.name.startsWith(`${tag}-`)) names.add(`/${e.name}`);
  }
  return [...names];
}

/**
 * Removes what a lane directory holds on the host: processes naming it (conmon, shims, hook
 * sleepers, tmux), mounts under it, cgroups named by its tag, then the directory.
 */
async function scrub(dir: string): Promise<string[]> {
  const notes: string[] = [];
  const tag = tagOf(dir);
  await run('tmux', ['-S', path.join(dir, 'tmux.sock'), 'kill-server']);
  const containerProcesses = cgroupParents(tag).flatMap(processesInCgroup);
  for (const pid of [...processesMentioning(dir), ...containerProcesses]) {
    if (pid === process.pid) continue;
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 3).join(' ');
      process.kill(pid, 'SIGKILL');
      notes.push(`killed pid ${pid} (${argv})`);
    } catch { /* gone */ }
  }
  for (const m of mountsUnder(dir)) {
    const r = await run('umount', ['-l', m]);
    if (r.code !== 0) notes.push(`umount ${m}: ${r.stderr.trim()}`);
  }
  // A killed process leaves its cgroup once it has been reaped: retry briefly before reporting.
  let failed: string[] = [];
  for (let i = 0; i < 50; i++) {
    failed = removeCgroups(cgroupParents(tag).flatMap(cgroupTree));
    if (!failed.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  notes.push(...failed.map((f) => `cgroup not removed: ${f}`));
  fs.rmSync(dir, { recursive: true, force: true });
  return notes;
}

/** Lane directories whose owner is gone (a run killed with SIGKILL): scrubbed before we start. */
async function scrubStale(): Promise<void> {
  // Only what mkdtemp made for a lane: the exact name shape, a directory, with its owner's pid.
  for (const name of fs.readdirSync(os.tmpdir()).filter((n) => new RegExp(`^${LANE_PREFIX}[A-Za-z0-9]{6}$`).test(n))) {
    const dir = path.join(os.tmpdir(), name);
    let owner = 0;
    try { owner = Number(fs.readFileSync(path.join(dir, 'owner.pid'), 'utf8')); } catch { continue; }
    let alive = false;
    try { if (owner > 0) { process.kill(owner, 0); alive = true; } } catch { /* dead */ }
    if (alive) continue;
    log(`scrubbing ${dir}, left by a lane run that no longer exists`);
    const conf = path.join(dir, 'podman/containers.conf');
    if (fs.existsSync(conf)) {
      await teardownPodman({ env: { CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: path.join(dir, 'podman/storage.conf'), TMPDIR: path.join(dir, 'podman/tmp') }, globalArgs: [], image: '', storageDriver: '' })
        .catch((e) => log(`  podman: ${e.message}`));
    }
    for (const n of await scrub(dir)) log(`  ${n}`);
  }
}

async function main(): Promise<number> {
  const { only, capture, keep, scrubOnly, ava } = parseArgs(process.argv.slice(2));
  if (scrubOnly) {
    await scrubStale();
    return 0;
  }
  const runtimes = knownRuntimes(only);
  const env: LaneEnv = {
    skip: null, dir: '', tag: '', runtimes, rootfsBase: path.join(REPO_ROOT, 'rootfs-base'),
    containerd: { address: '', log: '' }, podman: { env: {}, globalArgs: [], image: '' },
    tmuxSocket: '', pidReuseTool: PID_REUSE_TOOL, captureDir: null,
  };
  let daemon: ContainerdDaemon | null = null;
  let podman: PodmanSetup | null = null;
  let tornDown = false;
  const teardown = async () => {
    if (tornDown || !env.dir) return;
    tornDown = true;
    if (keep) {
      daemon?.proc.unref();
      printKeep(env);
      return;
    }
    const notes: string[] = [];
    if (podman) notes.push(...await teardownPodman(podman).catch((e) => [`podman teardown: ${e.message}`]));
    if (daemon) notes.push(...await stopContainerd(daemon).catch((e) => [`containerd teardown: ${e.message}`]));
    notes.push(...await scrub(env.dir));
    for (const n of notes) log(`teardown: ${n}`);
    log(`torn down ${env.dir}`);
    if (notes.length) countTeardownFailure(notes.length);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      log(`${sig}: tearing down`);
      void teardown().finally(() => process.exit(130));
    });
  }

  try {
    if (process.getuid?.() !== 0) env.skip = 'needs root (containerd, podman, namespaces, cgroups)';
    else if (!fs.existsSync(path.join(env.rootfsBase, 'bin/busybox'))) env.skip = 'needs ./rootfs-base (run make)';
    else if (!fs.existsSync(PID_REUSE_TOOL)) env.skip = `needs ${path.relative(REPO_ROOT, PID_REUSE_TOOL)} (make test-lane-oci builds it)`;
    if (!env.skip) {
      const debs = await run(path.join(REPO_ROOT, 'scripts/ensure-debs.sh'), DEBS, { timeoutMs: 900_000 });
      process.stdout.write(debs.stdout);
      if (debs.code !== 0) env.skip = `could not install ${DEBS.join(', ')}: ${debs.stderr.trim().split('\n').pop()}`;
    }
    if (!env.skip) {
      await scrubStale();
      env.dir = fs.mkdtempSync(path.join(os.tmpdir(), LANE_PREFIX));
      fs.chmodSync(env.dir, 0o755); // container processes running as a non-root user reach their rootfs
      fs.writeFileSync(path.join(env.dir, 'owner.pid'), String(process.pid));
      env.tag = tagOf(env.dir);
      env.tmuxSocket = path.join(env.dir, 'tmux.sock');
      if (capture) {
        env.captureDir = path.join(env.dir, 'capture');
        env.runtimes = installCaptureWrappers(env.captureDir, runtimes);
      }
      const began = Date.now();
      daemon = await startContainerd(path.join(env.dir, 'containerd'));
      env.containerd = { address: daemon.address, log: daemon.log };
      podman = await setupPodman(path.join(env.dir, 'podman'), env.rootfsBase, env.runtimes);
      env.podman = { env: podman.env, globalArgs: podman.globalArgs, image: podman.image };
      log(`containerd up, podman image imported (${podman.storageDriver}) in ${Date.now() - began} ms; lane dir ${env.dir}`);
    }
  } catch (err) {
    env.skip = `lane set-up failed: ${(err as Error).message}`;
  }
  if (env.skip) log(`every scenario skips: ${env.skip}`);

  const envFile = env.dir ? path.join(env.dir, 'lane-env.json') : path.join(os.tmpdir(), `oci-lane-env-${process.pid}.json`);
  fs.writeFileSync(envFile, JSON.stringify(env, null, 2));
  let code = 1;
  try {
    code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts/run-ava.mjs'), '--lane', 'oci', '--config', 'test/oci/ava.config.mjs', ...ava],
        { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, OCI_LANE_ENV: envFile } });
      child.on('close', (c) => resolve(c ?? 1));
    });
    if (env.captureDir) {
      const out = path.join(REPO_ROOT, 'test-results/oci-capture');
      writeCaptureReport(env.captureDir, out, env.dir);
      log(`capture report: ${path.relative(REPO_ROOT, out)}/calls.md`);
    }
  } finally {
    await teardown();
    if (!env.dir) fs.rmSync(envFile, { force: true });
  }
  return code;
}

/**
 * Something the scenarios left for the teardown to remove is a failure of the lane even when every
 * scenario passed: it joins test-results/oci.counts as one more failed test.
 */
function countTeardownFailure(found: number): void {
  const file = path.join(REPO_ROOT, 'test-results/oci.counts');
  const [passed, failed, skipped] = (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '0 0 0').trim().split(/\s+/).map(Number);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${passed} ${failed + 1} ${skipped}\n`);
  console.log(`not ok - oci lane teardown: ${found} thing(s) were left behind (listed above)`);
  process.exitCode = 1;
}

function printKeep(env: LaneEnv): void {
  log(`--keep: everything is still up in ${env.dir}`);
  log(`  ctr --address ${env.containerd.address} namespace ls   (one namespace per suite and runtime)`);
  log(`  env ${Object.entries(env.podman.env).map(([k, v]) => `${k}=${v}`).join(' ')} podman --runtime PATH ...`);
  log('  remove it all with: test/oci/run.sh --scrub   (any later lane run does it too)');
}

const avaCode = await main();
if (avaCode !== 0) process.exitCode = avaCode;
