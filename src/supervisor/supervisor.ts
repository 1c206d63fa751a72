// The supervisor's state and orchestration: the registry of containers, start, stop, rm and
// shutdown. Runs on the main thread; every operation is either synchronous bookkeeping or an
// await on something that cannot block other requests.

import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { conflict, EngineError, notFound, precondition } from '../errors.js';
import type { ContainerRecord, SupervisorInfo } from '../protocol/messages.js';
import { ENGINE_VERSION } from '../version.js';
import type { LoopDelay } from './loop-delay.js';
import { OnePerTurn } from './one-per-turn.js';
import { containerSpec } from './container-spec.js';
import type { ValidStart } from '../protocol/schema.js';
import type { RuntimeSpec } from '../spec/config.js';
import { StartError, type ProcessRuntime } from '../runtime/types.js';
import type { LogPipeline } from '../logging/types.js';
import type { MemoryEnforcer } from '../memory/types.js';
import { Container, finalState, signalName } from './container.js';
import { EXIT_RUNTIME_FAILED, exitStatus } from '../exit-status.js';
import { boundary, checkBoundaries, checkMountPoints, overlap, resolveRootfs, type Boundary, type ResolvedRootfs } from './rootfs-check.js';
import { RECORD_FORMAT, RecordStore, type FileWriter } from './records.js';
import type { HostProcesses } from './host-processes.js';
import { OverlayStore } from './overlay.js';
import { overlayOptions } from '../spec/compile.js';
import { parseCpuList } from '../sched/cpus.js';
import { compileCount } from '../security/seccomp-compile.js';
import { native } from '../native/addon.js';
import { PipeStdin, PtyStdin } from './stdin.js';

const MIB = 1024 * 1024;

export interface SupervisorConfig {
  stateDir: string;
  graceMs: number;
  baseRootfs: ResolvedRootfs | null;
  logger: Logger;
  logs: LogPipeline;
  memory: MemoryEnforcer;
  /** how containers' processes are made: nativeRuntime, or a recording fake in tests */
  runtime: ProcessRuntime;
  /** for `engine info` */
  socket?: string;
  loopDelay?: LoopDelay;
  /** where records are written from (default: libuv's threads; the daemon's own writer thread) */
  recordWriter?: FileWriter;
  /** more places no rootfs may overlap (the socket, engine's own programs): rootfs-check.ts */
  guarded?: Array<Pick<Boundary, 'what' | 'path' | 'scope'>>;
  /** the host's processes by pid and start time (records, recovery); absent in tests with fakes */
  processes?: HostProcesses;
}

/** Why a container a previous supervisor did not see end is no longer running (CONTRACT.md). */
export const ENDED_WITH_SUPERVISOR = 'the supervisor ended before the container';

export class Supervisor {
  readonly containers = new Map<string, Container>();
  /** rootfs "dev:ino" -> the live container using it */
  private readonly rootfsInUse = new Map<string, { id: string; rootfs: ResolvedRootfs }>();
  /** rootfs "dev:ino" -> ids of the live --overlay containers using it as their lower layer */
  private readonly overlayLowers = new Map<string, Set<string>>();
  readonly overlays: OverlayStore;
  readonly logsDir: string;
  readonly records: RecordStore;
  shuttingDown = false;
  readonly startedAt = new Date();
  /** requests and the synchronous steps of starts and exits, one per turn of the event loop */
  readonly turns = new OnePerTurn();

  constructor(readonly config: SupervisorConfig) {
    this.logsDir = path.join(config.stateDir, 'logs');
    this.records = new RecordStore(
      path.join(config.stateDir, 'containers'),
      (id, file, err) => this.log.warn({ id, file, err: err.message }, 'container record could not be written'),
      config.recordWriter,
    );
    this.overlays = new OverlayStore(path.join(config.stateDir, 'overlay'));
    this.overlays.sweep((id) => this.containers.has(id));
  }

  /** The supervisor itself, for `engine info`. */
  info(): SupervisorInfo {
    const all = [...this.containers.values()];
    return {
      pid: process.pid,
      version: ENGINE_VERSION,
      startedAt: this.startedAt.toISOString(),
      uptimeMs: Date.now() - this.startedAt.getTime(),
      socket: this.config.socket ?? null,
      stateDir: this.config.stateDir,
      memoryEnforcer: { kind: this.config.memory.kind, reason: this.config.memory.reason },
      containers: { total: all.length, live: all.filter((c) => c.live).length },
      loopDelay: this.config.loopDelay?.summary() ?? null,
      rssBytes: process.memoryUsage.rss(),
      seccompCompilations: compileCount(),
    };
  }

  get log(): Logger {
    return this.config.logger;
  }

  get(id: string): Container {
    const c = this.containers.get(id);
    if (!c) throw notFound(id);
    return c;
  }

  list(): ContainerRecord[] {
    return [...this.containers.values()].map((c) => this.snapshot(c));
  }

  /** The record with live log counters, for a reply: replies are encoded as they are sent, so a
   *  copy of the top level is enough (a deep copy of every record made `ps` of hundreds of
   *  containers one of the supervisor's costliest turns). */
  snapshot(c: Container): ContainerRecord {
    const stats = this.config.logs.stats(c.record.id);
    if (stats) c.record.log = { ...c.record.log, bytes: stats.bytes, dropped: stats.dropped };
    return { ...c.record };
  }

  /**
   * Creates and starts a container. Resolves once its command is executing (state running), or
   * with the container already ended `failed` when a step before exec failed.
   */
  async start(req: ValidStart): Promise<Container> {
    if (this.shuttingDown) throw new EngineError('shutting_down', 'the supervisor is shutting down');
    const existing = this.containers.get(req.id);
    if (existing) {
      throw conflict(
        existing.live
          ? `container id '${req.id}' is already in use by a ${existing.record.state} container`
          : `container id '${req.id}' is taken by an ended container (${existing.record.state}); remove it first: engine rm ${req.id}`,
      );
    }
    const rootfs = resolveRootfs(req.rootfs);
    this.checkRootfs(req.rootfs, rootfs, req.overlay ?? false);
    if (req.overlay) overlayOptions(rootfs.path, this.overlays.paths(req.id));
    const cpus = req.cpus === undefined ? null : parseCpuList(req.cpus);
    // A command given as one word with white space is a shell command line (CONTRACT.md).
    const command = req.command.length === 1 && /\s/.test(req.command[0]) ? ['/bin/sh', '-c', req.command[0]] : req.command;
    const { spec, security, strictDestinations } = containerSpec(req, rootfs.path, command);
    // -v and --tmpfs destinations are made by engine-init beneath the rootfs; the rest must be there
    checkMountPoints(req.rootfs, rootfs.path, (spec.mounts ?? []).filter((m) => !strictDestinations?.has(m.destination)));

    const c = new Container({
      id: req.id,
      pid: null,
      state: 'starting',
      rootfs: rootfs.path,
      command,
      limits: { softMib: req.softMib, hardMib: req.hardMib },
      nice: req.nice,
      cpus,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      exitCode: null,
      signal: null,
      reason: null,
      logPath: path.join(this.logsDir, `${req.id}.log`),
      memoryEnforcer: this.config.memory.kind,
      memoryEvents: [],
      rootMode: null,
      log: { mode: req.logMode, bytes: 0, dropped: 0 },
      security,
    });
    c.spec = spec;
    c.strictDestinations = strictDestinations;
    c.overlay = req.overlay ? this.overlays.create(req.id) : null;
    // Reserve id and rootfs before the first await, so concurrent starts cannot both pass.
    this.containers.set(req.id, c);
    if (c.overlay) this.overlayLowers.set(rootfs.key, (this.overlayLowers.get(rootfs.key) ?? new Set()).add(req.id));
    else this.rootfsInUse.set(rootfs.key, { id: req.id, rootfs });
    c.rootfsKey = rootfs.key;
    c.autoRemove = req.rm ?? false;
    if (req.verb === 'run') c.holds++; // the run's output stream: released by unhold()
    if (c.autoRemove) void c.done.then(() => this.removeIfDone(c));
    this.persist(c);
    this.persistSpec(c);
    c.launched = this.launch(c, req);
    await c.launched;
    c.startRecord = this.snapshot(c);
    await this.records.written(req.id); // the client hears of the start once its record is on disk
    return c;
  }

  private async launch(c: Container, req: ValidStart): Promise<void> {
    const { id } = c.record;
    const { runtime } = this.config;
    // The synchronous parts of a start (pipes, the plan, cgroups, the go) take a turn of the
    // event loop each, so a burst of starts never holds the loop (one-per-turn.ts).
    await this.turns.run(() => {});
    const tty = req.tty !== undefined;
    // With -t the output is the pty's (attached once init has sent its master); else a pipe.
    let readFd = -1;
    let writeFd = -1;
    let stdinR = -1;
    let stdinW = -1;
    try {
      if (!tty) [readFd, writeFd] = runtime.outputPipe();
      if (req.interactive && !tty) [stdinR, stdinW] = runtime.outputPipe();
    } catch (err) {
      for (const fd of [readFd, writeFd]) if (fd >= 0) runtime.closeFd(fd);
      this.failBeforeProcess(c, `pipe: ${(err as NodeJS.ErrnoException).code}`);
      return;
    }
    const logOptions = {
      mode: req.logMode,
      bufferBytes: req.logBufferMib ? req.logBufferMib * MIB : undefined,
      maxBytes: req.logMaxMib ? req.logMaxMib * MIB : undefined,
    };
    try {
      c.proc = await runtime.spawn({ id, spec: c.spec!, nice: c.record.nice, cpus: c.record.cpus, outFd: writeFd, stdinFd: stdinR >= 0 ? stdinR : undefined, tty, strictDestinations: c.strictDestinations, overlay: c.overlay ?? undefined });
    } catch (err) {
      for (const fd of [readFd, writeFd, stdinR, stdinW]) if (fd >= 0) runtime.closeFd(fd);
      this.failBeforeProcess(c, (err as Error).message);
      return;
    }
    // The container holds the only write ends now: EOF means it is gone.
    for (const fd of [writeFd, stdinR]) if (fd >= 0) runtime.closeFd(fd);
    c.record.pid = c.proc.pid;
    c.pidStartTicks = this.config.processes?.startTicks(c.proc.pid) ?? null;
    this.persist(c);
    if (stdinW >= 0) {
      c.stdin = new PipeStdin(stdinW);
      c.stdinOpen = true;
    }
    if (!tty) {
      this.config.logs.attach(id, readFd, c.record.logPath, logOptions);
      c.logAttached = true;
    }
    void this.watchExit(c);

    try {
      // Memory enforcement is attached while init waits, before it sets anything up: nothing of
      // the container ever runs unmonitored. Then init may go on.
      c.memory = await this.config.memory.attach(id, c.proc.pid, { softBytes: c.record.limits.softMib * MIB, hardBytes: c.record.limits.hardMib * MIB }, (ev) => {
        c.addMemoryEvent(ev);
        this.persist(c);
        this.log.warn({ id, containerPid: c.record.pid, event: ev }, ev.kind === 'soft' ? 'soft memory limit crossed' : 'hard memory limit: killed');
      });
      c.proc.release();
      const { rootMode } = await c.proc.ready;
      if (tty) {
        // init sent the pty master before it reported ready: its output is the container's log.
        const master = c.proc.takeConsole!();
        c.stdin = new PtyStdin(native().dupFd(master));
        c.stdinOpen = req.interactive === true;
        this.config.logs.attach(id, master, c.record.logPath, logOptions);
        c.logAttached = true;
      }
      await this.turns.run(() => {});
      c.record.rootMode = rootMode;
      if (rootMode === 'chroot') this.log.warn({ id }, 'pivot_root is not possible for this rootfs; used chroot');
      runtime.setAutogroupNice(c.proc.pid, c.record.nice);
      if (c.stopRequested) throw new StartError('start', 'stopped before it started', EXIT_RUNTIME_FAILED);
      await c.proc.go();
      if (c.record.state === 'starting') c.record.state = 'running';
      this.persist(c);
      this.log.info({ id, containerPid: c.record.pid, command: c.record.command, rootfs: c.record.rootfs, nice: c.record.nice, cpus: c.record.cpus }, 'container started');
    } catch (err) {
      c.proc.abort();
      if (c.stopRequested) return; // a stop during start: the exit is recorded as stopped
      const reason = err instanceof StartError ? err.message : `start: ${(err as Error).message}`;
      c.record.reason = reason;
      c.record.exitCode = err instanceof StartError ? err.exitCode : EXIT_RUNTIME_FAILED;
      this.log.error({ id, reason }, 'container failed to start');
    }
  }

  private writeEmptyLog(c: Container): void {
    try {
      fs.writeFileSync(c.record.logPath, '');
    } catch {
      /* the log directory is checked at start-up */
    }
  }

  private failBeforeProcess(c: Container, reason: string): void {
    this.releaseRootfs(c);
    this.writeEmptyLog(c);
    c.finish('failed', { reason, exitCode: EXIT_RUNTIME_FAILED });
    this.persist(c);
    this.discardOverlay(c);
    this.log.error({ id: c.record.id, reason }, 'container failed to start');
  }

  /** Records the final state once the process is reaped and its output is all in the log. */
  private async watchExit(c: Container): Promise<void> {
    const proc = c.proc!;
    const info = await proc.exited;
    c.exitSeen = true;
    // A step that failed before exec is reported on the status pipe, which may be read after the
    // exit is seen: the outcome of start-up decides between `failed` and an ordinary exit.
    await c.launched;
    // Exits seen together (a whole batch of containers ending) are recorded a turn apart.
    await this.turns.run(() => {});
    const { id } = c.record;
    this.releaseRootfs(c); // an ended container frees its rootfs at once
    let enforcerKilled = false;
    if (c.memory) {
      enforcerKilled = (await c.memory.exitAttribution().catch(() => null)) === 'hard';
      await c.memory.release().catch(() => {});
    }
    await proc.cleanup().catch((err) => this.log.warn({ id, err: (err as Error).message }, 'container cgroups could not be removed'));
    c.stdin?.close();
    if (!c.logAttached) this.writeEmptyLog(c);
    const drained = c.logAttached ? await this.config.logs.drained(id) : { bytes: 0, dropped: 0 };
    const failed = c.record.reason !== null && c.record.state === 'starting';
    const status = failed ? c.record.exitCode : exitStatus(info.exitCode, info.signal);
    const state = failed ? 'failed' : finalState({ signal: info.signal, stopRequested: c.stopRequested, enforcerKilled });
    c.record.log = { ...c.record.log, bytes: drained.bytes, dropped: drained.dropped };
    c.finish(state, { exitCode: status, signal: failed ? null : signalName(info.signal) });
    this.persist(c);
    if (failed) this.discardOverlay(c); // it never ran: there are no changes to keep
    this.log.info({ id, containerPid: info.pid, state, exitCode: status, signal: c.record.signal, logBytes: drained.bytes }, 'container exited');
  }

  private releaseRootfs(c: Container): void {
    if (c.rootfsKey && this.rootfsInUse.get(c.rootfsKey)?.id === c.record.id) this.rootfsInUse.delete(c.rootfsKey);
    const readers = c.rootfsKey ? this.overlayLowers.get(c.rootfsKey) : undefined;
    if (readers?.delete(c.record.id) && readers.size === 0) this.overlayLowers.delete(c.rootfsKey!);
    c.rootfsKey = null;
  }

  private discardOverlay(c: Container): void {
    if (!c.overlay) return;
    c.overlay = null;
    this.overlays.remove(c.record.id).catch((err) => this.log.warn({ id: c.record.id, err: (err as Error).message }, 'overlay directories could not be removed'));
  }

  /** A `run` has sent the container's output: with --rm and the container ended, it is removed now. */
  async unhold(c: Container): Promise<void> {
    c.holds = Math.max(0, c.holds - 1);
    await this.removeIfDone(c);
  }

  /** --rm: removes an ended container nobody holds any more (once; `engine rm` may have been first). */
  private async removeIfDone(c: Container): Promise<void> {
    if (!c.autoRemove || !c.isFinished || c.holds > 0 || this.containers.get(c.record.id) !== c) return;
    await this.rm(c.record.id).catch((err) => this.log.warn({ id: c.record.id, err: (err as Error).message }, '--rm: the container could not be removed'));
  }

  /**
   * SIGTERM, then SIGKILL after the grace period. Resolves when the container has ended and its
   * final state is recorded; other requests are served meanwhile.
   */
  async stop(id: string, graceMs = this.config.graceMs): Promise<{ container: Container; note?: string }> {
    const c = this.get(id);
    if (!c.live) return { container: c, note: `container ${id} is not running (${c.record.state})` };
    this.requestStop(c, graceMs);
    await c.done;
    await this.records.written(id);
    return { container: c };
  }

  private requestStop(c: Container, graceMs: number): void {
    if (c.stopRequested) return;
    c.stopRequested = true; // before any signal: the exit is attributed to this stop
    const proc = c.proc;
    if (!proc) return;
    this.log.info({ id: c.record.id, containerPid: c.record.pid, graceMs }, 'stopping container');
    if (c.record.state === 'starting') {
      proc.abort();
      return;
    }
    proc.signal('SIGTERM');
    c.killTimer = setTimeout(() => {
      if (proc.signal('SIGKILL')) this.log.info({ id: c.record.id }, 'grace period over: SIGKILL');
    }, graceMs);
  }

  /** Removals under way, by id: a second rm (or --rm racing `engine rm`) waits for the first. */
  private readonly removals = new Map<string, Promise<void>>();

  /**
   * Forgets an ended container; resolves once its log files, record and overlay are deleted (as
   * docker rm). It stays listed until then, so a container that `ps` no longer shows has nothing
   * left behind.
   */
  async rm(id: string): Promise<void> {
    const pending = this.removals.get(id);
    if (pending) return pending;
    const c = this.get(id);
    if (!c.isFinished) throw precondition(`container ${id} is ${c.record.state}; stop it first: engine stop ${id}`);
    const removal = this.removeFiles(c).finally(() => {
      if (this.containers.get(id) === c) this.containers.delete(id);
      this.removals.delete(id);
      this.log.info({ id }, 'container removed');
    });
    this.removals.set(id, removal);
    return removal;
  }

  private async removeFiles(c: Container): Promise<void> {
    const id = c.record.id;
    this.config.logs.forget(id);
    const overlay = c.overlay ? this.overlays.remove(id) : null;
    c.overlay = null;
    await Promise.all([
      ...[c.record.logPath, `${c.record.logPath}.1`].map((f) => fs.promises.rm(f, { force: true }).catch(() => {})),
      this.records.remove(id).catch((err) => this.log.warn({ id, err: (err as Error).message }, 'container record could not be removed')),
    ]);
    await overlay?.catch((err) => this.log.warn({ id, err: (err as Error).message }, 'overlay directories could not be removed'));
  }

  /** Stops every live container (same grace), waits for all to be recorded. */
  async stopAll(): Promise<void> {
    this.shuttingDown = true;
    const live = [...this.containers.values()].filter((c) => !c.isFinished);
    for (const c of live) this.requestStop(c, this.config.graceMs);
    await Promise.all(live.map((c) => c.done));
    await this.records.written();
  }

  // --- rootfs boundaries and records (CONTRACT.md: Ids, rootfs, records) -------------------------

  /**
   * Refuses a rootfs that overlaps the base template, the supervisor's own files (state directory,
   * logs, records, the places config.guarded names) or a live container's rootfs (rootfs-check.ts).
   */
  private checkRootfs(given: string, rootfs: ResolvedRootfs, overlay: boolean): void {
    const { baseRootfs: base, stateDir, guarded = [] } = this.config;
    const places: Boundary[] = [];
    // --overlay only reads its rootfs (the lower layer): the base template may serve any number
    if (base && !overlay) places.push({ what: "the supervisor's base template", ...base, scope: 'tree', hint: `give the container a copy: engine rootfs create DIR --from ${base.path}` });
    const own = [
      { what: "the supervisor's state directory", path: stateDir, scope: 'ancestors' as const },
      { what: "the supervisor's log directory", path: this.logsDir, scope: 'tree' as const },
      { what: "the supervisor's container records", path: this.records.dir, scope: 'tree' as const },
      ...guarded,
    ];
    for (const g of own) {
      const b = boundary(g.what, g.path, g.scope);
      if (b) places.push(b);
    }
    checkBoundaries(given, rootfs, places);
    // a plain container would write under the lower layer of live --overlay containers
    const readers = [...(this.overlayLowers.get(rootfs.key) ?? [])];
    if (readers.length && !overlay) {
      throw conflict(`rootfs is the read-only lower layer of live --overlay container${readers.length > 1 ? 's' : ''} ${readers.map((r) => `'${r}'`).join(', ')}; start this one with --overlay too`);
    }
    for (const [key, holder] of this.rootfsInUse) {
      if (key === rootfs.key) throw conflict(`rootfs already in use by container '${holder.id}'`);
      const what = `the rootfs of live container '${holder.id}'`;
      const refusal = overlap(given, rootfs, { what, path: holder.rootfs.path, key, chain: holder.rootfs.chain, scope: 'tree' });
      if (refusal) throw conflict(refusal);
    }
  }

  /** Queues the container's record for writing (records.ts); a failure is logged, never fatal. */
  private persist(c: Container): void {
    this.records.save(c.record.id, () => ({ format: RECORD_FORMAT, record: c.record, pidStartTicks: c.pidStartTicks }));
  }

  private persistSpec(c: Container): void {
    this.records.saveSpec(c.record.id, c.spec);
  }

  /**
   * Lists again the containers of a supervisor that ended before them (a crash): ended ones as they
   * were recorded; live ones as `killed`, as the supervisor's end killed them (init's parent-death
   * signal), and one still running (same pid, same start time) is killed now. Unreadable records
   * are reported and skipped. Call once, before serving requests.
   */
  recover(): SupervisorRecovery {
    this.records.init();
    const { records, problems } = this.records.load();
    const result: SupervisorRecovery = { recovered: 0, endedWithSupervisor: 0, skipped: problems };
    for (const p of problems) this.log.warn({ record: path.join(this.records.dir, p.name), reason: p.reason }, 'container record skipped: unreadable');
    for (const { record, pidStartTicks, spec } of records) {
      if (this.containers.has(record.id)) continue;
      if (record.state === 'starting' || record.state === 'running') {
        const stillRunning = record.pid !== null && pidStartTicks !== null && (this.config.processes?.killIfSame(record.pid, pidStartTicks) ?? false);
        Object.assign(record, {
          state: 'killed' as const,
          finishedAt: new Date().toISOString(),
          reason: stillRunning ? `${ENDED_WITH_SUPERVISOR}; it was still running when the supervisor restarted and was killed` : `${ENDED_WITH_SUPERVISOR} (its exit status is unknown)`,
          exitCode: stillRunning ? 137 : null,
          signal: stillRunning ? 'SIGKILL' : null,
        });
        result.endedWithSupervisor++;
        this.log.warn({ id: record.id, containerPid: record.pid, killedNow: stillRunning }, `container record recovered: ${record.reason}`);
      }
      const c = Container.ended(record);
      c.spec = (spec as RuntimeSpec | null) ?? null;
      c.pidStartTicks = pidStartTicks;
      this.containers.set(record.id, c);
      if (c.record.reason?.startsWith(ENDED_WITH_SUPERVISOR)) this.persist(c);
      result.recovered++;
    }
    if (result.recovered || problems.length) this.log.info({ recovered: result.recovered, endedWithSupervisor: result.endedWithSupervisor, skipped: problems.length }, 'container records of a previous supervisor loaded');
    return result;
  }
}

export interface SupervisorRecovery {
  /** containers of a previous supervisor, listed again */
  recovered: number;
  /** of those, the ones it did not see end: now `killed` with ENDED_WITH_SUPERVISOR */
  endedWithSupervisor: number;
  /** record directories that could not be read, with the reason: reported, skipped */
  skipped: Array<{ name: string; reason: string }>;
}

