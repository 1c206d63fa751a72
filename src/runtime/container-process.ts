// One container's first process, as the supervisor sees it: created (namespaces and root ready,
// waiting), then told to go (exec), then exited. Wraps the addon's createContainer, the status
// pipe and the pidfd exit watch.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EXIT_RUNTIME_FAILED, startFailureStatus } from '../exit-status.js';
import { native, type ExitInfo } from '../native/addon.js';
import { StartError, type ContainerHandle, type ProcessSpec, type RootMode } from './types.js';

export const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Paths to try for the command inside the container, in order (as execvp would). */
export function execCandidates(command: string): string[] {
  if (command.includes('/')) return [path.posix.resolve('/', command)];
  return CONTAINER_PATH.split(':').map((dir) => `${dir}/${command}`);
}

function errnoName(errno: number): string {
  if (errno === 0) return 'unknown error';
  const entry = Object.entries(os.constants.errno).find(([, v]) => v === errno);
  return entry ? entry[0] : `errno ${errno}`;
}

export class ContainerProcess implements ContainerHandle {
  readonly pid: number;
  private readonly pidfd: number;
  private goFd: number | null;
  private records: Buffer[] = [];
  private waiters: Array<() => void> = [];
  private statusEnded = false;
  private reaped = false;
  /** Resolves when the namespaces and root are ready and the child waits for go(). */
  readonly ready: Promise<{ rootMode: RootMode }>;
  /** Resolves once the process has exited and been reaped. */
  readonly exited: Promise<ExitInfo>;

  constructor(spec: ProcessSpec) {
    const addon = native();
    const child = addon.createContainer({
      rootfs: spec.rootfs,
      hostname: spec.id,
      argv: spec.argv,
      candidates: execCandidates(spec.argv[0]),
      env: [`PATH=${CONTAINER_PATH}`, `HOSTNAME=${spec.id}`, 'HOME=/root', 'TERM=xterm'],
      nice: spec.nice,
      cpus: spec.cpus ?? undefined,
      outFd: spec.outFd,
      newSession: true,
    });
    this.pid = child.pid;
    this.pidfd = child.pidfd;
    this.goFd = child.goFd;
    this.exited = new Promise((resolve) => {
      addon.watchExit(child.pidfd, (info) => {
        this.reaped = true;
        fs.close(this.pidfd, () => {});
        this.closeGo();
        resolve(info);
      });
    });
    this.readStatus(child.statusFd);
    this.ready = this.nextRecord().then((rec) => {
      if (!rec) throw new StartError('setup', 'the container process ended before it was ready', EXIT_RUNTIME_FAILED);
      const step = rec.readInt32LE(0);
      if (step !== 0) throw this.toStartError(rec);
      return { rootMode: (rec.readInt32LE(8) & 1) === 1 ? 'chroot' : 'pivot_root' };
    });
    this.ready.catch(() => {});
  }

  /** Lets the container execute its command. Resolves when exec succeeded. */
  async go(): Promise<void> {
    await this.ready;
    if (this.goFd === null) throw new StartError('exec', 'the container was stopped before it started', EXIT_RUNTIME_FAILED);
    try {
      fs.writeSync(this.goFd, 'g');
    } catch {
      // EPIPE: the child is already gone; its exit tells the rest.
    }
    this.closeGo();
    const rec = await this.nextRecord();
    if (rec) throw this.toStartError(rec);
  }

  /** Ends a created container without running its command. */
  abort(): void {
    this.closeGo();
    this.signal('SIGKILL');
  }

  /** Sends a signal through the pidfd; false if the process is already gone. */
  signal(name: NodeJS.Signals): boolean {
    if (this.reaped) return false;
    try {
      return native().pidfdSignal(this.pidfd, os.constants.signals[name]);
    } catch {
      return false;
    }
  }

  private closeGo(): void {
    if (this.goFd !== null) {
      const fd = this.goFd;
      this.goFd = null;
      fs.close(fd, () => {});
    }
  }

  private toStartError(rec: Buffer): StartError {
    const addon = native();
    const step = addon.stepName(rec.readInt32LE(0));
    const err = rec.readInt32LE(4);
    const name = errnoName(err);
    return new StartError(step, name, startFailureStatus(step, name));
  }

  private readStatus(fd: number): void {
    const size = native().statusRecordSize;
    let pending = Buffer.alloc(0);
    const sock = new net.Socket({ fd, readable: true, writable: false });
    sock.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= size) {
        this.records.push(pending.subarray(0, size));
        pending = pending.subarray(size);
      }
      this.wake();
    });
    const end = () => {
      this.statusEnded = true;
      this.wake();
    };
    sock.on('end', end);
    sock.on('close', end);
    sock.on('error', end);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** The next status record, or null at EOF (exec succeeded, or the child died). */
  private async nextRecord(): Promise<Buffer | null> {
    for (;;) {
      const rec = this.records.shift();
      if (rec) return rec;
      if (this.statusEnded) return null;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}
