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
import { StartError, type ProcessRuntime } from '../runtime/types.js';
import type { LogPipeline } from '../logging/types.js';
import type { MemoryEnforcer } from '../memory/types.js';
import { Container, finalState, signalName } from './container.js';
import { EXIT_RUNTIME_FAILED, exitStatus } from '../exit-status.js';
import { resolveRootfs, type ResolvedRootfs } from './rootfs-check.js';
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
}

export class Supervisor {
  readonly containers = new Map<string, Container>();
  /** rootfs "dev:ino" -> id of the live container using it */
  private readonly rootfsInUse = new Map<string, string>();
  /** rootfs "dev:ino" -> ids of the live --overlay containers using it as their lower layer */
  private readonly overlayLowers = new Map<string, Set<string>>();
  readonly overlays: OverlayStore;
  readonly logsDir: string;
  shuttingDown = false;
  readonly startedAt = new Date();
  /** requests and the synchronous steps of starts and exits, one per turn of the event loop */
  readonly turns = new OnePerTurn();

  constructor(readonly config: SupervisorConfig) {
    this.logsDir = path.join(config.stateDir, 'logs');
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

  /** The record with live log counters. */
  snapshot(c: Container): ContainerRecord {
    const stats = this.config.logs.stats(c.record.id);
    if (stats) c.record.log = { ...c.record.log, bytes: stats.bytes, dropped: stats.dropped };
    return structuredClone(c.record);
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
    const base = this.config.baseRootfs;
    if (base && base.key === rootfs.key && !req.overlay) {
      throw conflict(`rootfs ${req.rootfs} is the supervisor's base template; give the container a copy (cp -a ${base.path} DIR)`);
    }
    const holder = this.rootfsInUse.get(rootfs.key);
    if (holder) throw conflict(`rootfs already in use by container '${holder}'`);
    // --overlay never writes to the rootfs, so any number share it; a plain container would write
    // under their lower layer, so it waits until they are gone.
    const readers = [...(this.overlayLowers.get(rootfs.key) ?? [])];
    if (readers.length && !req.overlay) throw conflict(`rootfs is the read-only lower layer of live --overlay container${readers.length > 1 ? 's' : ''} ${readers.map((r) => `'${r}'`).join(', ')}; start this one with --overlay too`);
    if (req.overlay) overlayOptions(rootfs.path, this.overlays.paths(req.id));
    const cpus = req.cpus === undefined ? null : parseCpuList(req.cpus);
    // A command given as one word with white space is a shell command line (CONTRACT.md).
    const command = req.command.length === 1 && /\s/.test(req.command[0]) ? ['/bin/sh', '-c', req.command[0]] : req.command;
    const { spec, security, strictDestinations } = containerSpec(req, rootfs.path, command);

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
    else this.rootfsInUse.set(rootfs.key, req.id);
    c.rootfsKey = rootfs.key;
    c.autoRemove = req.rm ?? false;
    if (req.verb === 'run') c.holds++; // the run's output stream: released by unhold()
    if (c.autoRemove) void c.done.then(() => this.removeIfDone(c));
    c.launched = this.launch(c, req);
    await c.launched;
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
    if (failed) this.discardOverlay(c); // it never ran: there are no changes to keep
    this.log.info({ id, containerPid: info.pid, state, exitCode: status, signal: c.record.signal, logBytes: drained.bytes }, 'container exited');
  }

  private releaseRootfs(c: Container): void {
    if (c.rootfsKey && this.rootfsInUse.get(c.rootfsKey) === c.record.id) this.rootfsInUse.delete(c.rootfsKey);
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

  /** Forgets an ended container; resolves once its log files are deleted (as docker rm). */
  async rm(id: string): Promise<void> {
    const c = this.get(id);
    if (!c.isFinished) throw precondition(`container ${id} is ${c.record.state}; stop it first: engine stop ${id}`);
    this.containers.delete(id);
    this.config.logs.forget(id);
    const overlay = c.overlay ? this.overlays.remove(id) : null;
    c.overlay = null;
    await Promise.all([c.record.logPath, `${c.record.logPath}.1`].map((f) => fs.promises.rm(f, { force: true }).catch(() => {})));
    await overlay?.catch((err) => this.log.warn({ id, err: (err as Error).message }, 'overlay directories could not be removed'));
    this.log.info({ id }, 'container removed');
  }

  /** Stops every live container (same grace), waits for all to be recorded. */
  async stopAll(): Promise<void> {
    this.shuttingDown = true;
    const live = [...this.containers.values()].filter((c) => !c.isFinished);
    for (const c of live) this.requestStop(c, this.config.graceMs);
    await Promise.all(live.map((c) => c.done));
  }
}
