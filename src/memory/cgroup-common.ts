// Shared machinery of the memory-cgroup enforcers (v1 and v2): where the supervisor's own cgroup is,
// one parent cgroup per supervisor nested under it, one child per container, a single 50 ms poll
// timer for the soft limit and the OOM-kill counter, removal with retries, and the cleanup of
// leftovers of a crashed supervisor.
//
// Layout:   <mount><own cgroup>/engine-<supervisorPid>.<startTicks>/<container id>
// (a further enforcer in the same process adds .<n> to the parent's name)
// The parent's name carries the supervisor's pid and its start time (field 22 of /proc/<pid>/stat),
// so a later supervisor can tell a leftover (owner gone, or the pid reused by another process) from
// a live sibling supervisor's cgroup.

import fs from 'node:fs';
import path from 'node:path';
import { cgroupDir, killAll, procsOf, removeCgroup } from '../cgroups/fs.js';
import { processStartTicks } from '../proc/proc.js';

export { cgroupDir, killAll, procsOf, removeCgroup } from '../cgroups/fs.js';
import type { EnforcerAttachment, EnforcerKind, MemoryEnforcer, MemoryEvent, MemoryLimits } from './types.js';

/** Soft-limit and OOM-kill polling period. Peak usage files catch spikes between two polls. */
export const POLL_MS = 50;
/** Containers checked in one go before the event loop gets a turn. */
const POLL_BATCH = 32;
const PARENT_RE = /^engine-(\d+)\.(\d+)(?:\.\d+)?$/;

/**
 * The cgroup a supervisor keeps its containers under, in every hierarchy, below its own:
 * engine-<pid>.<start time>, so a later supervisor can tell a crashed one's leftovers from a live
 * sibling's (see cleanupLeftovers).
 */
export function supervisorCgroupName(): string {
  // Read once: every container's start asks for it, and neither part changes.
  ownCgroupName ??= `engine-${process.pid}.${processStartTicks(process.pid) ?? '0'}`;
  return ownCgroupName;
}
let ownCgroupName: string | undefined;
let instances = 0;

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {} };

export function readText(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

export function readNumber(file: string): number {
  return Number(readText(file).trim());
}

// Files read on every poll (50 ms, for every container) stay open and are re-read with pread at
// offset 0, which regenerates a cgroup file: one system call instead of open+read+close, so
// polling hundreds of containers costs the event loop about a millisecond.
/** cgroup directory -> file name -> open descriptor */
const polled = new Map<string, Map<string, number>>();
const pollBuf = Buffer.allocUnsafe(4096);

/** A polled cgroup file's current text (see above). */
export function readPolled(file: string): string {
  const dir = path.dirname(file);
  let files = polled.get(dir);
  if (!files) polled.set(dir, (files = new Map()));
  let fd = files.get(file);
  if (fd === undefined) {
    fd = fs.openSync(file, 'r');
    files.set(file, fd);
  }
  const n = fs.readSync(fd, pollBuf, 0, pollBuf.length, 0);
  return pollBuf.toString('utf8', 0, n);
}

/** Closes the polled files of dir (before the cgroup is removed: an open file keeps it busy). */
export function closePolled(dir: string): void {
  for (const fd of polled.get(dir)?.values() ?? []) {
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
  }
  polled.delete(dir);
}

/** The value of one `key value` line (0 when absent), without splitting the whole text: it is
 *  read for every container on every poll. */
export function keyedValue(text: string, key: string): number {
  let i = text.startsWith(`${key} `) ? 0 : text.indexOf(`\n${key} `);
  if (i < 0) return 0;
  if (i > 0) i++;
  const start = i + key.length + 1;
  const end = text.indexOf('\n', start);
  return Number(text.slice(start, end < 0 ? undefined : end));
}

/** `key value` lines of a text. */
export function parseKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

/** `key value` lines (memory.events, memory.oom_control, memory.stat). */
export function readKeyed(file: string): Record<string, number> {
  return parseKeyed(readText(file));
}

/** What differs between v1 and v2. All methods are synchronous file operations on cgroupfs. */
export interface CgroupBackend {
  readonly kind: 'cgroup-v1' | 'cgroup-v2';
  /** The supervisor's own memory cgroup directory. */
  readonly ownDir: string;
  /** Makes `dir` able to hold memory-limited children (v2: +memory in subtree_control). */
  prepareParent(dir: string): void;
  /** Called on a fresh child cgroup before any task joins it. */
  setLimits(dir: string, limits: MemoryLimits): void;
  /** Highest usage seen since the cgroup was made (bytes); falls back to current usage. */
  peakBytes(dir: string): number;
  /** OOM kills in this cgroup so far. */
  oomKills(dir: string): number;
  /** The kernel kills the whole cgroup on OOM (v2 memory.oom.group); else the enforcer does. */
  readonly kernelKillsGroup: boolean;
  /** Short description for the start-up reason. */
  describe(): string;
}

interface Attached {
  id: string;
  pid: number;
  dir: string;
  limits: MemoryLimits;
  onEvent: (ev: MemoryEvent) => void;
  softSent: boolean;
  hardSent: boolean;
  released: boolean;
}

export class CgroupEnforcer implements MemoryEnforcer {
  readonly kind: EnforcerKind;
  readonly parentDir: string;
  private readonly live = new Map<string, Attached>();
  private readonly stale = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    readonly backend: CgroupBackend,
    readonly reason: string,
    private readonly log: Logger = silentLogger,
  ) {
    this.kind = backend.kind;
    // a second enforcer in the same process (tests) gets its own parent: engine-<pid>.<start>.<n>
    const n = instances++;
    const tag = `${supervisorCgroupName()}${n ? `.${n}` : ''}`;
    this.parentDir = path.join(backend.ownDir, tag);
  }

  /** Cleans leftovers, makes the parent cgroup. Called once by the factory. */
  async init(): Promise<void> {
    await cleanupLeftovers(this.backend.ownDir, this.log);
    this.backend.prepareParent(this.backend.ownDir);
    try {
      fs.mkdirSync(this.parentDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    this.backend.prepareParent(this.parentDir);
  }

  async attach(id: string, pid: number, limits: MemoryLimits, onEvent: (ev: MemoryEvent) => void): Promise<EnforcerAttachment> {
    if (this.closed) throw new Error('memory enforcer is closed');
    let dir = path.join(this.parentDir, id);
    try {
      fs.mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`memory cgroup ${dir}: ${(err as Error).message}`);
      // On cgroup v2 the container's cgroup (pids, devices) is this same directory, made just
      // before for this very process: use it. Otherwise it is an earlier container of this id
      // whose cgroup could not be removed: try again, else a new name.
      const procs = procsOf(dir);
      if (!(procs.length === 0 || (procs.length === 1 && procs[0] === pid))) {
        if (!(await removeCgroup(dir, { timeoutMs: 500 }))) dir = `${dir}~${Date.now()}`;
        fs.mkdirSync(dir);
      }
    }
    try {
      this.backend.setLimits(dir, limits);
      fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
    } catch (err) {
      await removeCgroup(dir, { timeoutMs: 500 });
      throw new Error(`memory cgroup ${dir}: ${(err as Error).message}`);
    }
    const a: Attached = { id, pid, dir, limits, onEvent, softSent: false, hardSent: false, released: false };
    this.live.set(dir, a);
    this.ensureTimer();
    return {
      exitAttribution: async () => this.attribution(a),
      release: async () => this.release(a),
    };
  }

  /** The cgroup directory of a live attachment (tests, inspect). */
  dirOf(id: string): string | undefined {
    for (const a of this.live.values()) if (a.id === id) return a.dir;
    return undefined;
  }

  private ensureTimer(): void {
    if (this.timer || this.live.size === 0) return;
    this.timer = setInterval(() => this.poll(), POLL_MS);
    this.timer.unref();
  }

  private polling = false;

  /** One look at every container, POLL_BATCH at a time with a turn of the event loop between
   *  batches, so hundreds of containers never hold the loop. */
  private poll(): void {
    if (this.polling) return; // the last round has not finished: the machine is that busy
    if (this.live.size === 0) {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      return;
    }
    this.polling = true;
    const all = [...this.live.values()];
    const batch = (from: number) => {
      for (const a of all.slice(from, from + POLL_BATCH)) this.check(a);
      if (from + POLL_BATCH < all.length && !this.closed) setImmediate(() => batch(from + POLL_BATCH));
      else this.polling = false;
    };
    batch(0);
  }

  /** Reads the cgroup once: soft crossing (once) and OOM kill (once). */
  private check(a: Attached): void {
    if (a.released) return;
    try {
      if (!a.softSent) {
        const peak = this.backend.peakBytes(a.dir);
        // Above the soft limit; when soft == hard, reaching it counts (usage never exceeds hard).
        if (peak > a.limits.softBytes || (a.limits.softBytes >= a.limits.hardBytes && peak >= a.limits.softBytes)) {
          a.softSent = true;
          this.emit(a, { kind: 'soft', at: new Date().toISOString(), usageBytes: peak, limitBytes: a.limits.softBytes });
        }
      }
      if (!a.hardSent && this.backend.oomKills(a.dir) > 0) {
        a.hardSent = true;
        // v1 kills one task (the OOM killer's choice); the container goes with it, as v2's
        // memory.oom.group and the module do, so a hard kill always ends the whole container
        if (!this.backend.kernelKillsGroup) killAll(a.dir);
        this.emit(a, { kind: 'hard', at: new Date().toISOString(), usageBytes: this.safePeak(a.dir), limitBytes: a.limits.hardBytes });
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') this.log.warn({ id: a.id, err: (err as Error).message }, 'memory cgroup poll failed');
    }
  }

  private safePeak(dir: string): number | undefined {
    try {
      return this.backend.peakBytes(dir);
    } catch {
      return undefined;
    }
  }

  private emit(a: Attached, ev: MemoryEvent): void {
    try {
      a.onEvent(ev);
    } catch (err) {
      this.log.warn({ id: a.id, err: (err as Error).message }, 'memory event handler threw');
    }
  }

  private async attribution(a: Attached): Promise<'hard' | null> {
    this.check(a); // last look: a soft crossing and the kill that followed it, in order
    return a.hardSent ? 'hard' : null;
  }

  private async release(a: Attached): Promise<void> {
    if (a.released) return;
    a.released = true;
    this.live.delete(a.dir);
    closePolled(a.dir);
    const ok = await removeCgroup(a.dir, { timeoutMs: 5000 });
    if (!ok) {
      this.stale.add(a.dir); // tried again at close()
      this.log.warn({ id: a.id, dir: a.dir }, 'memory cgroup could not be removed yet');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const a of [...this.live.values()]) await this.release(a);
    for (const dir of this.stale) await removeCgroup(dir, { timeoutMs: 2000, killAfterMs: 0 });
    if (!(await removeCgroup(this.parentDir))) this.log.warn({ dir: this.parentDir }, 'memory cgroup parent could not be removed');
  }
}

/**
 * Removes engine-<pid>.<start> cgroups under `ownDir` whose supervisor is gone (no such process, or
 * the pid now belongs to a process that started at another time): their tasks are killed first.
 */
export async function cleanupLeftovers(ownDir: string, log: Logger = silentLogger): Promise<string[]> {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync(ownDir);
  } catch {
    return removed;
  }
  for (const name of entries) {
    const sup = /^engine-(\d+)\.sup$/.exec(name); // v2: where a supervisor moved itself
    if (sup && Number(sup[1]) !== process.pid && procsOf(path.join(ownDir, name)).length === 0) {
      await removeCgroup(path.join(ownDir, name), { timeoutMs: 200 });
      continue;
    }
    const m = PARENT_RE.exec(name);
    if (!m) continue;
    const [, pid, start] = m;
    if (Number(pid) === process.pid) continue;
    if (processStartTicks(Number(pid)) === start) continue; // a live sibling supervisor
    const dir = path.join(ownDir, name);
    for (const child of safeReaddir(dir)) killAll(path.join(dir, child));
    if (await removeCgroup(dir, { timeoutMs: 3000, killAfterMs: 0 })) {
      removed.push(dir);
      log.info({ dir }, 'removed the memory cgroups of a supervisor that is gone');
    } else log.warn({ dir }, 'could not remove the memory cgroups of a supervisor that is gone');
  }
  return removed;
}

function safeReaddir(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}
