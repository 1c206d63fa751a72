// A recording ProcessRuntime for the supervisor's lifecycle tests: no root, no addon, no processes.
// Each spawn gives a FakeProcess the test drives (ready, fail a step, exit, ignore SIGTERM), and
// every call the supervisor makes is recorded, so a test can assert what was asked and when.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFailureStatus, EXIT_RUNTIME_FAILED } from '../../src/exit-status.js';
import { StartError, type ContainerHandle, type ExitInfo, type ProcessRuntime, type ProcessSpec, type RootMode } from '../../src/runtime/types.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

export interface FakeScript {
  /** 'auto': ready as soon as spawned; 'manual': the test calls becomeReady() or failSetup() */
  ready: 'auto' | 'manual';
  /** what exec does after go(): succeed, or fail with this errno name (ENOENT gives 127, ...) */
  exec: 'ok' | string;
  /** SIGTERM ends the process (as a command with a handler would), or is ignored (as PID 1 does) */
  onTerm: 'exit' | 'ignore';
}

export class FakeProcess implements ContainerHandle {
  readonly signals: NodeJS.Signals[] = [];
  goCalled = false;
  aborted = false;
  released = false;
  cleanedUp = false;
  private readyD = deferred<{ rootMode: RootMode }>();
  private exitD = deferred<ExitInfo>();
  private done = false;
  readonly ready = this.readyD.promise;
  readonly exited = this.exitD.promise;

  constructor(
    readonly pid: number,
    readonly spec: ProcessSpec,
    readonly script: FakeScript,
  ) {
    this.ready.catch(() => {});
    if (script.ready === 'auto') queueMicrotask(() => this.becomeReady());
  }

  get hasExited(): boolean {
    return this.done;
  }

  becomeReady(rootMode: RootMode = 'pivot_root'): void {
    this.readyD.resolve({ rootMode });
  }

  /** A step before exec failed: the process reports it and exits 125 (as spawn.cc does). */
  failSetup(step: string, errnoName: string): void {
    this.readyD.reject(new StartError(step, errnoName, startFailureStatus(step, errnoName)));
    this.exit(EXIT_RUNTIME_FAILED);
  }

  release(): void {
    this.released = true;
  }

  async cleanup(): Promise<void> {
    this.cleanedUp = true;
  }

  async go(): Promise<void> {
    this.goCalled = true;
    await this.ready;
    if (this.done) throw new StartError('exec', 'the container was stopped before it started', EXIT_RUNTIME_FAILED);
    if (this.script.exec !== 'ok') {
      const err = new StartError('exec', this.script.exec, startFailureStatus('exec', this.script.exec));
      this.exit(err.exitCode);
      throw err;
    }
  }

  abort(): void {
    this.aborted = true;
    this.signal('SIGKILL');
  }

  signal(name: NodeJS.Signals): boolean {
    if (this.done) return false;
    this.signals.push(name);
    if (name === 'SIGKILL' || (name === 'SIGTERM' && this.script.onTerm === 'exit')) this.kill(name);
    return true;
  }

  /** The command exits by itself. */
  exit(exitCode: number): void {
    this.finish({ pid: this.pid, exitCode, signal: null, coreDumped: false });
  }

  /** The process dies of a signal nobody in the supervisor sent (kill -9 from a shell, a crash). */
  kill(name: NodeJS.Signals): void {
    this.finish({ pid: this.pid, exitCode: null, signal: os.constants.signals[name], coreDumped: false });
  }

  private finish(info: ExitInfo): void {
    if (this.done) return;
    this.done = true;
    this.readyD.reject(new StartError('setup', 'the container process ended before it was ready', EXIT_RUNTIME_FAILED));
    this.exitD.resolve(info);
  }
}

export class FakeRuntime implements ProcessRuntime {
  readonly spawned: FakeProcess[] = [];
  readonly closedFds: number[] = [];
  readonly autogroup: Array<{ pid: number; nice: number }> = [];
  /** applied to the next spawns; change it before a start */
  script: FakeScript = { ready: 'auto', exec: 'ok', onTerm: 'ignore' };
  /** make spawn throw (clone failing) */
  spawnError: Error | null = null;
  private nextFd = 1000;
  private nextPid = 4000;
  private spawnWaiters: Array<() => void> = [];

  outputPipe(): [number, number] {
    return [this.nextFd++, this.nextFd++];
  }

  closeFd(fd: number): void {
    this.closedFds.push(fd);
  }

  async spawn(spec: ProcessSpec): Promise<FakeProcess> {
    if (this.spawnError) throw this.spawnError;
    const p = new FakeProcess(this.nextPid++, spec, { ...this.script });
    this.spawned.push(p);
    for (const w of this.spawnWaiters.splice(0)) w();
    return p;
  }

  /** Resolves with the process of `id` once the supervisor has spawned it. */
  async spawnOf(id: string): Promise<FakeProcess> {
    for (;;) {
      const p = this.spawned.filter((s) => s.spec.id === id).at(-1);
      if (p) return p;
      await new Promise<void>((resolve) => this.spawnWaiters.push(resolve));
    }
  }

  setAutogroupNice(pid: number, nice: number): void {
    this.autogroup.push({ pid, nice });
  }

  /** The process of a container, by id (the latest with that id). */
  of(id: string): FakeProcess {
    const p = this.spawned.filter((s) => s.spec.id === id).at(-1);
    if (!p) throw new Error(`no process was spawned for ${id}`);
    return p;
  }
}

/** The least a directory needs to pass as a rootfs (src/supervisor/rootfs-check.ts): its mount points. */
export const MOUNT_POINTS = ['proc', 'dev', 'sys'];

/** Makes `dir` (and parents) with the mount points a container needs; returns it. */
export function makeFakeRootfs(dir: string): string {
  for (const m of MOUNT_POINTS) fs.mkdirSync(path.join(dir, m), { recursive: true });
  return dir;
}
