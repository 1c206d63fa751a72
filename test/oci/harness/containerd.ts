// A private containerd for the lane: its own root, state, gRPC/ttrpc/debug sockets and opt dir in
// the lane directory, the CRI plugin disabled; and `ctr` bound to it, one namespace per runtime.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { run, until, type RunOptions, type RunResult } from './process.js';
import { copyRootfs } from './rootfs.js';
import type { LaneEnv } from './lane-env.js';
import type { Runtime } from './runtimes.js';

export interface ContainerdDaemon {
  proc: ChildProcess;
  address: string;
  log: string;
  exited: Promise<void>;
}

/** Plugins this lane never uses: the CRI server, and snapshotters that only log errors here. */
const DISABLED_PLUGINS = [
  'io.containerd.grpc.v1.cri',
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.zfs',
];

export function containerdConfig(dir: string): string {
  return [
    'version = 2',
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    `disabled_plugins = ${JSON.stringify(DISABLED_PLUGINS)}`,
    '[grpc]',
    `  address = "${dir}/containerd.sock"`,
    '[ttrpc]',
    `  address = "${dir}/containerd.sock.ttrpc"`,
    '[debug]',
    `  address = "${dir}/debug.sock"`,
    '[metrics]',
    '  address = ""',
    // The opt plugin creates /opt/containerd unless told otherwise.
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${dir}/opt"`,
    '',
  ].join('\n');
}

/**
 * Starts containerd, its log going straight to a file (so it outlives us cleanly with --keep), and
 * resolves once the log says it has booted, or fails when it exits first.
 */
export async function startContainerd(dir: string, timeoutMs = 30_000): Promise<ContainerdDaemon> {
  fs.mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'config.toml');
  fs.writeFileSync(config, containerdConfig(dir));
  const logFile = path.join(dir, 'containerd.log');
  const fd = fs.openSync(logFile, 'a');
  const proc = spawn('containerd', ['--config', config], { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  let exitedWith: string | null = null;
  const exited = new Promise<void>((resolve) => proc.on('exit', (code, signal) => { exitedWith = String(code ?? signal); resolve(); }));
  const tail = () => fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
  await until('containerd to boot', () => {
    if (exitedWith !== null) throw new Error(`containerd exited at start (${exitedWith}): ${tail()}`);
    return fs.readFileSync(logFile, 'utf8').includes('containerd successfully booted');
  }, timeoutMs, 25).catch((err) => {
    proc.kill('SIGKILL');
    throw new Error(`${err.message} (log: ${logFile}: ${tail()})`);
  });
  return { proc, address: path.join(dir, 'containerd.sock'), log: logFile, exited };
}

/**
 * Ends every task and container in the lane's namespaces, then containerd itself (SIGTERM, then
 * SIGKILL), then any shim of ours that outlived it (found by our socket address on its command line).
 */
export async function stopContainerd(daemon: ContainerdDaemon): Promise<string[]> {
  const notes: string[] = [];
  const namespaces = (await run('ctr', ['--address', daemon.address, 'namespace', 'ls', '-q'], { timeoutMs: 20_000 })).stdout.split('\n').filter(Boolean);
  for (const ns of namespaces) {
    const c = (args: string[]) => run('ctr', ['--address', daemon.address, '-n', ns, ...args], { timeoutMs: 20_000 });
    const tasks = (await c(['task', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
    for (const id of tasks) {
      notes.push(`containerd: task ${ns}/${id} was still there`);
      await c(['task', 'kill', '-a', '-s', 'SIGKILL', id]);
      await c(['task', 'delete', '--force', id]);
    }
    const containers = (await c(['container', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
    for (const id of containers) await c(['container', 'rm', id]);
    await c(['namespace', 'rm', ns]).catch(() => undefined);
  }
  if (daemon.proc.exitCode === null && daemon.proc.signalCode === null) {
    daemon.proc.kill('SIGTERM');
    const timer = setTimeout(() => daemon.proc.kill('SIGKILL'), 10_000);
    await daemon.exited;
    clearTimeout(timer);
  }
  for (const pid of processesMentioning(daemon.address)) {
    notes.push(`containerd: killed a shim left behind (pid ${pid})`);
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  return notes;
}

/** Pids whose command line contains `needle` (our shims name our socket). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').some((a) => a.includes(needle))) pids.push(Number(d));
    } catch { /* gone */ }
  }
  return pids;
}

/**
 * `ctr` against the lane's containerd for one suite and runtime: its own namespace (hence its own
 * cgroup parent, `/<namespace>`) and its own runc root, so a suite's leftovers are its own.
 */
export class Ctr {
  readonly namespace: string;
  /** The runtime's --root as the shim passes it: `<runcRoot>/<namespace>`. */
  readonly runcRoot: string;

  constructor(readonly env: LaneEnv, readonly rt: Runtime, readonly suite: string) {
    this.namespace = `${env.tag}-ctr-${suite}-${rt.name}`;
    this.runcRoot = path.join(env.dir, 'ctr-runc-root', suite, rt.name);
  }

  /** The state root the runtime itself sees (the shim appends the namespace). */
  get stateRoot(): string {
    return path.join(this.runcRoot, this.namespace);
  }

  /** cgroupsPath of a ctr container: containerd's default `/<namespace>/<id>`. */
  cgroupParent(): string {
    return `/${this.namespace}`;
  }

  ctr(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run('ctr', ['--address', this.env.containerd.address, '-n', this.namespace, ...args], { timeoutMs: 60_000, ...opts });
  }

  /** The flags that make `ctr run` use this runtime: the part of a run command line before the rootfs. */
  runFlags(scenario: string): string[] {
    return ['--runc-binary', this.rt.path, '--runc-root', this.runcRoot, '--annotation', `oci-lane.scenario=${scenario}`];
  }

  /** A private copy of the busybox rootfs for one container (`ctr run --rootfs` uses it in place). */
  rootfs(id: string): Promise<string> {
    return copyRootfs(this.env.rootfsBase, path.join(this.rootfsDir, id));
  }

  get rootfsDir(): string {
    return path.join(this.env.dir, 'ctr-rootfs', this.suite, this.rt.name);
  }

  /** `ctr` command line (for tmux) with the same global flags. */
  commandLine(args: string[]): string[] {
    return ['ctr', '--address', this.env.containerd.address, '-n', this.namespace, ...args];
  }
}
