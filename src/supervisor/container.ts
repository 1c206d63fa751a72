// One container as the supervisor tracks it: its public record, its process, and the promise
// that settles when its final state is recorded (after every byte of its output is in its log).

import os from 'node:os';
import type { ContainerRecord, ContainerState, MemoryEventRecord } from '../protocol/messages.js';
import type { ContainerHandle } from '../runtime/types.js';
import type { RuntimeSpec } from '../spec/config.js';
import type { EnforcerAttachment } from '../memory/types.js';
import type { StdinSink } from './stdin.js';

export class Container {
  readonly record: ContainerRecord;
  proc: ContainerHandle | null = null;
  /** the effective spec it was started with (engine inspect --spec) */
  spec: RuntimeSpec | null = null;
  memory: EnforcerAttachment | null = null;
  /** set before any signal engine sends to stop it, so the exit is attributed to the stop */
  stopRequested = false;
  killTimer: NodeJS.Timeout | null = null;
  /** -i or -t: its stdin (a pipe) or terminal (a pty master) while it runs */
  stdin: StdinSink | null = null;
  /** -i: clients may write to stdin (with -t alone, the terminal only takes window sizes) */
  stdinOpen = false;
  /** its output has a log stream (false only when a start with -t failed before its pty existed) */
  logAttached = false;
  /** its first process has exited (its record may not say so yet: the log is still draining) */
  exitSeen = false;
  /** exec sessions started so far (names their output streams) */
  execCount = 0;
  /** rootfs "dev:ino" while the container holds it */
  rootfsKey: string | null = null;
  /** start time of its init (/proc/<pid>/stat), kept in its record file to tell it from a reused pid */
  pidStartTicks: string | null = null;
  /** --overlay: its overlay's directories (the rootfs is held shared, as a read-only lower layer) */
  overlay: { upper: string; work: string; merged: string } | null = null;
  /** -v/--tmpfs destinations, resolved beneath the rootfs by engine-init */
  strictDestinations: ReadonlySet<string> | undefined;
  /** --rm: removed once it has ended and nobody holds it (a `run` still sending its output) */
  autoRemove = false;
  holds = 0;
  /** Settles when start-up has run its course (running, or a start failure recorded in `reason`). */
  launched: Promise<void> = Promise.resolve();
  /** the record as the start left it (running, or why not), for the start's reply: a short-lived
   *  command may have ended by the time its record is on disk */
  startRecord: ContainerRecord | null = null;
  private settle!: () => void;
  /** Settles when the final state is recorded. */
  readonly done: Promise<void> = new Promise((resolve) => (this.settle = resolve));
  private finished = false;

  constructor(record: ContainerRecord) {
    this.record = record;
  }

  /** A container known from its record only (a previous supervisor's), already ended. */
  static ended(record: ContainerRecord): Container {
    const c = new Container(record);
    c.finished = true;
    c.settle();
    return c;
  }

  get live(): boolean {
    return this.record.state === 'starting' || this.record.state === 'running';
  }

  get isFinished(): boolean {
    return this.finished;
  }

  addMemoryEvent(ev: MemoryEventRecord): void {
    this.record.memoryEvents.push(ev);
  }

  finish(state: ContainerState, fields: Partial<ContainerRecord>): void {
    if (this.finished) return;
    this.finished = true;
    Object.assign(this.record, fields, { state, finishedAt: new Date().toISOString() });
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = null;
    this.settle();
  }
}

export function signalName(signal: number | null): string | null {
  if (signal === null) return null;
  const entry = Object.entries(os.constants.signals).find(([, n]) => n === signal);
  return entry ? entry[0] : `SIG${signal}`;
}

/**
 * How a container that ran its command ended (CONTRACT.md, States): the enforcer's own event
 * first, then a stop request, then SIGKILL from nobody here, else an ordinary exit.
 */
export function finalState(opts: {
  signal: number | null;
  stopRequested: boolean;
  enforcerKilled: boolean;
}): ContainerState {
  if (opts.enforcerKilled) return 'hard_limit_killed';
  if (opts.stopRequested) return 'stopped';
  if (opts.signal === os.constants.signals.SIGKILL) return 'killed';
  return 'exited';
}
