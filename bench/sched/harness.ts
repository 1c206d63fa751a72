// The experiment's own supervisor (temporary socket and state directory) and rootfs copies.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { call } from '../../src/cli/client.js';
import { CLI_ENTRY, REPO_ROOT } from '../../src/paths.js';
import type { ContainerRecord, Reply, StartRequest } from '../../src/protocol/messages.js';
import { createRootfs, ROOTFS_MARKER } from '../../src/rootfs/index.js';

const execFileP = promisify(execFile);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Pins every thread of a process to the given CPUs (taskset -a); false if taskset is missing. */
export function pinProcess(pid: number, cpus: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export class BenchSupervisor {
  readonly socket: string;
  readonly stateDir: string;
  readonly logFile: string;
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly dir: string) {
    this.socket = path.join(dir, 'engine.sock');
    this.stateDir = path.join(dir, 'state');
    this.logFile = path.join(dir, 'supervisor.log');
  }

  /** Starts `engine supervisor`, pinned to `hostCpus` when given, and waits until it answers. */
  async start(hostCpus: string | null): Promise<void> {
    if (!fs.existsSync(CLI_ENTRY)) throw new Error(`the compiled CLI is missing (${CLI_ENTRY}): run make`);
    const args = [CLI_ENTRY, 'supervisor', '--socket', this.socket, '--state-dir', this.stateDir, '--grace-ms', '500'];
    const out = fs.openSync(this.logFile, 'a');
    const [file, argv] = hostCpus !== null ? ['taskset', ['-c', hostCpus, process.execPath, ...args]] : [process.execPath, args];
    const proc = spawn(file, argv, { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.proc = proc;
    let gone = false;
    this.exited = new Promise((resolve) => proc.on('exit', () => ((gone = true), resolve())));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (gone) throw new Error(`the supervisor exited at start: ${this.tail()}`);
      try {
        const r = await call(this.socket, { verb: 'ping' });
        if (r.ok) return;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error(`the supervisor did not answer within 15 s: ${this.tail()}`);
      await sleep(50);
    }
  }

  tail(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
    } catch {
      return '(no log)';
    }
  }

  request(req: Parameters<typeof call>[1]): Promise<Reply> {
    return call(this.socket, req);
  }

  async startContainer(req: Omit<StartRequest, 'verb'>): Promise<ContainerRecord> {
    const r = await this.request({ verb: 'start', ...req });
    if (!r.ok || !('record' in r)) throw new Error(`start ${req.id}: unexpected reply ${JSON.stringify(r)}`);
    if (r.record.state !== 'running' || !r.record.pid) throw new Error(`start ${req.id}: ${r.record.state} (${r.record.reason ?? 'no reason'})`);
    return r.record;
  }

  async inspect(id: string): Promise<ContainerRecord> {
    const r = await this.request({ verb: 'inspect', id });
    if (!r.ok || !('record' in r)) throw new Error(`inspect ${id}: unexpected reply`);
    return r.record;
  }

  /** Stops (SIGKILL at once: grace 0) and waits until the end is recorded. */
  async stopContainer(id: string): Promise<void> {
    await this.request({ verb: 'stop', id, timeoutMs: 0 });
  }

  async remove(id: string): Promise<void> {
    try {
      await this.request({ verb: 'rm', id });
    } catch {
      /* already gone */
    }
  }

  logOf(id: string): string {
    try {
      return fs.readFileSync(path.join(this.stateDir, 'logs', `${id}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  /** SIGTERM (orderly: stops containers, removes the socket), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * The rootfs the copies are made from: ./rootfs-base (made by `make`) when it has the workloads,
 * else a fresh busybox rootfs built into `scratch` from workloads/bin.
 */
export async function baseRootfs(scratch: string): Promise<{ dir: string; made: boolean }> {
  const repoBase = path.join(REPO_ROOT, 'rootfs-base');
  const ok = (d: string) => ['cpu_hog', 'io_pulse', 'memory_hog', 'bin/busybox'].every((f) => fs.existsSync(path.join(d, f)));
  if (fs.existsSync(path.join(repoBase, ROOTFS_MARKER)) && ok(repoBase)) return { dir: repoBase, made: false };
  const workloads = path.join(REPO_ROOT, 'workloads/bin');
  if (!fs.existsSync(path.join(workloads, 'cpu_hog'))) throw new Error('no ./rootfs-base and no workloads/bin/cpu_hog: run make first');
  const dir = path.join(scratch, 'rootfs-base');
  await createRootfs(dir, { workloadsDir: workloads });
  if (!ok(dir)) throw new Error(`the rootfs built at ${dir} lacks the workloads`);
  return { dir, made: true };
}

/** A private writable copy of the base rootfs. */
export async function copyRootfs(base: string, dest: string): Promise<string> {
  await execFileP('cp', ['-a', base, dest]);
  return dest;
}

export function makeScratch(): string {
  // On a disk-backed directory when /tmp is tmpfs would make io_pulse's fsync free: keep os.tmpdir()
  // but say which file system it is in the report.
  return fs.mkdtempSync(path.join(os.tmpdir(), 'engine-sched-'));
}

export function fsTypeOf(dir: string): string {
  try {
    return execFileSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', dir], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
