// A container's first process as the runtime sees it: engine-init cloned into new namespaces with
// a plan (plan.ts), reporting on a status pipe, held at its start gate, then executing the command.
// The supervisor and engine-oci both launch containers through launchInit(); exec into a running
// container does too (a plan that joins instead of creating, and forks into the PID namespace).

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { EXIT_RUNTIME_FAILED, startFailureStatus } from '../exit-status.js';
import { native, type ExitInfo } from '../native/addon.js';
import { INIT_PATH } from '../paths.js';
import { CLONE, encodePlan, GATE, type InitPlan } from './plan.js';
import { StartError, type RootMode } from './types.js';

const STEP_READY = 0;
const STEP_CHILD_PID = 100;
const STEP_USERNS = 101;
const STEP_MOUNT = 6;
const STATUS_CHROOT = 1;

/**
 * The descriptors engine-init starts with: 0, 1, 2, then the caller's preserved ones (runc's
 * --preserve-fds, passed to the command), then the runtime's own (plan, status, gate, namespaces,
 * console socket), which close at exec.
 */
export class FdMap {
  readonly list: number[];
  /** how many descriptors after 0-2 go to the command (they stay open at exec) */
  readonly preserved: number;

  constructor(stdio: [number, number, number], preserved: number[] = []) {
    this.list = [...stdio, ...preserved];
    this.preserved = preserved.length;
  }

  /** The number the host descriptor will have in engine-init. */
  add(hostFd: number): number {
    this.list.push(hostFd);
    return this.list.length - 1;
  }
}

let sealedInit: number | null = null;

/**
 * engine-init as a sealed memfd, made once per process: what the container's /proc/<pid>/exe
 * points to cannot be written, whatever happens to the file on disk (CVE-2019-5736).
 */
export function initExecutable(): number {
  if (sealedInit === null) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(INIT_PATH);
    } catch (err) {
      throw new Error(`cannot read engine-init at ${INIT_PATH} (run make): ${(err as NodeJS.ErrnoException).code}`);
    }
    sealedInit = native().memfdFrom('engine-init', bytes, true);
  }
  return sealedInit;
}

function errnoName(errno: number): string {
  if (errno === 0) return 'unknown error';
  const entry = Object.entries(os.constants.errno).find(([, v]) => v === errno);
  return entry ? entry[0] : `errno ${errno}`;
}

export interface LaunchOptions {
  /** the plan, without statusFd, gate and the parent-wait fd: launchInit fills them in */
  plan: Omit<InitPlan, 'statusFd' | 'gate' | 'waitParentFd'>;
  fds: FdMap;
  /** CLONE_NEW* flags: the namespaces to create */
  cloneFlags: number;
  /** pipe: go() releases it; fifo: an O_PATH fd (in fds numbering) of runc's exec.fifo; none */
  gate: { kind: 'pipe' } | { kind: 'fifo'; fd: number } | { kind: 'none' };
  /** watch the exit on the event loop (false in engine-oci, whose process must not wait for it) */
  watchExit?: boolean;
  /** what a failed mount step is reported as: the destinations of plan.mounts, in order */
  mountNames?: string[];
  /** init waits for release() before anything (the parent puts it in its cgroups first) */
  waitParent?: boolean;
}

/** Launches engine-init with the plan; resolves once it is executing (not once it is ready). */
export async function launchInit(opts: LaunchOptions): Promise<InitProcess> {
  const addon = native();
  const [statusR, statusW] = addon.pipe();
  let gateR = -1;
  let gateW = -1;
  let waitR = -1;
  let waitW = -1;
  let planFd = -1;
  try {
    if (opts.gate.kind === 'pipe') [gateR, gateW] = addon.pipe();
    if (opts.waitParent) [waitR, waitW] = addon.pipe();
    const statusFd = opts.fds.add(statusW);
    const gate =
      opts.gate.kind === 'fifo' ? { kind: GATE.FIFO, fd: opts.gate.fd } : gateR >= 0 ? { kind: GATE.PIPE, fd: opts.fds.add(gateR) } : { kind: GATE.NONE, fd: 0 };
    const waitParentFd = waitR >= 0 ? opts.fds.add(waitR) : undefined;
    const plan: InitPlan = { ...opts.plan, statusFd, gate, waitParentFd, keepFds: opts.fds.preserved };
    planFd = addon.memfdFrom('engine-plan', encodePlan(plan), true);
    const planNum = opts.fds.add(planFd);
    const child = await new Promise<{ pid: number; pidfd: number }>((resolve, reject) => {
      addon.spawnInit(
        { exec: initExecutable(), argv: ['engine-init', String(planNum), String(statusFd)], env: [], fds: opts.fds.list, cloneFlags: opts.cloneFlags },
        (err, out) => (err ? reject(err) : resolve(out!)),
      );
    });
    return new InitProcess(opts, child.pid, child.pidfd, statusR, gateW >= 0 ? gateW : null, waitW >= 0 ? waitW : null);
  } catch (err) {
    for (const fd of [statusR, gateW, waitW]) if (fd >= 0) addon.closeFd(fd);
    throw err;
  } finally {
    for (const fd of [statusW, gateR, waitR, planFd]) if (fd >= 0) addon.closeFd(fd);
  }
}

export class InitProcess {
  private gateFd: number | null;
  private records: Buffer[] = [];
  private waiters: Array<() => void> = [];
  private statusEnded = false;
  private reaped = false;
  private statusSock: net.Socket | null = null;
  readonly ready: Promise<{ rootMode: RootMode }>;
  readonly exited: Promise<ExitInfo>;
  /** with plan.forkAfterJoin (or a new PID namespace made by init): the host pid of the process
   *  that runs the command */
  readonly childPid: Promise<number> | null;
  /** with plan.userns: init is in its new user namespace, waiting for the id maps */
  readonly usernsReady: Promise<void> | null;

  constructor(
    private readonly opts: LaunchOptions,
    readonly pid: number,
    private readonly pidfd: number,
    statusR: number,
    gateW: number | null,
    private waitFd: number | null,
  ) {
    const addon = native();
    this.gateFd = gateW;
    this.readStatus(statusR);
    if (opts.watchExit === false) {
      this.exited = new Promise(() => {});
    } else {
      this.exited = new Promise((resolve) => {
        addon.watchExit(this.pidfd, (info) => {
          this.reaped = true;
          fs.close(this.pidfd, () => {});
          this.closeGate();
          resolve(info);
        });
      });
    }
    // The records come in this order: USERNS (with plan.userns), CHILD_PID (when init forks),
    // then READY, or the step that failed instead of any of them.
    const expect = (step: number, what: string) => async () => {
      const rec = await this.nextRecord();
      if (!rec) throw new StartError(what, 'the process ended before it got there', EXIT_RUNTIME_FAILED);
      if (rec.readInt32LE(0) !== step) throw this.toStartError(rec);
      return rec.readInt32LE(12);
    };
    this.usernsReady = opts.plan.userns ? expect(STEP_USERNS, 'userns')().then(() => {}) : null;
    this.usernsReady?.catch(() => {});
    const forks = opts.plan.forkAfterJoin || ((opts.plan.unshare ?? 0) & CLONE.NEWPID) !== 0;
    this.childPid = forks ? (this.usernsReady ?? Promise.resolve()).then(expect(STEP_CHILD_PID, 'fork')) : null;
    this.childPid?.catch(() => {});
    this.ready = (this.childPid ?? this.usernsReady ?? Promise.resolve(0)).then(async () => {
      const rec = await this.nextRecord();
      if (!rec) throw new StartError('setup', 'the container process ended before it was ready', EXIT_RUNTIME_FAILED);
      if (rec.readInt32LE(0) !== STEP_READY) throw this.toStartError(rec);
      return { rootMode: (rec.readInt32LE(8) & STATUS_CHROOT) === STATUS_CHROOT ? 'chroot' : 'pivot_root' };
    });
    this.ready.catch(() => {});
  }

  /** With waitParent: lets init go on, the parent's part (cgroups, id maps) being done. */
  release(): void {
    if (this.waitFd === null) return;
    const fd = this.waitFd;
    this.waitFd = null;
    try {
      fs.writeSync(fd, 'p');
    } catch {
      /* gone: its exit says the rest */
    }
    fs.close(fd, () => {});
  }

  /** Lets the container execute its command. Resolves when exec succeeded. */
  async go(): Promise<void> {
    await this.ready;
    if (this.gateFd === null) throw new StartError('exec', 'the container was stopped before it started', EXIT_RUNTIME_FAILED);
    try {
      fs.writeSync(this.gateFd, 'g');
    } catch {
      // EPIPE: the process is already gone; its exit tells the rest.
    }
    this.closeGate();
    const rec = await this.nextRecord();
    if (rec) throw this.toStartError(rec);
  }

  /** Ends a created container without running its command. */
  abort(): void {
    this.closeGate();
    if (this.waitFd !== null) fs.close(this.waitFd, () => {});
    this.waitFd = null;
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

  /** Stops reading the status pipe and lets go of the process (engine-oci create, once READY). */
  detach(): void {
    this.statusSock?.destroy();
    this.closeGate();
    try {
      fs.closeSync(this.pidfd);
    } catch {
      /* closed */
    }
  }

  private closeGate(): void {
    if (this.gateFd !== null) {
      const fd = this.gateFd;
      this.gateFd = null;
      fs.close(fd, () => {});
    }
  }

  private toStartError(rec: Buffer): StartError {
    const addon = native();
    let step = addon.stepName(rec.readInt32LE(0));
    const name = errnoName(rec.readInt32LE(4));
    const index = rec.readInt32LE(12);
    if (rec.readInt32LE(0) === STEP_MOUNT && this.opts.mountNames?.[index]) step = `mount ${this.opts.mountNames[index]}`;
    return new StartError(step, name, startFailureStatus(step, name));
  }

  private readStatus(fd: number): void {
    const size = native().statusRecordSize;
    let pending = Buffer.alloc(0);
    const sock = new net.Socket({ fd, readable: true, writable: false });
    this.statusSock = sock;
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

  /** The next status record, or null at EOF (exec succeeded, or the process died). */
  private async nextRecord(): Promise<Buffer | null> {
    for (;;) {
      const rec = this.records.shift();
      if (rec) return rec;
      if (this.statusEnded) return null;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}
