// `engine supervisor`: checks the socket, starts the log pipeline and the memory enforcer,
// serves the control socket, and shuts down in order on SIGINT/SIGTERM.

import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { LogPipeline } from '../logging/types.js';
import type { MemoryEnforcer } from '../memory/types.js';
import { createControlServer } from './server.js';
import { Supervisor } from './supervisor.js';
import { resolveRootfs, type ResolvedRootfs } from './rootfs-check.js';
import { createLogPipeline } from '../logging/pipeline.js';
import { ThreadWriter } from './record-writer.js';
import { chooseEnforcer } from '../memory/choose.js';
import { nativeRuntime } from '../runtime/native-runtime.js';
import { LoopDelay } from './loop-delay.js';
import { native } from '../native/addon.js';
import { REPO_ROOT } from '../paths.js';
import { claimSocket, DaemonError, occupantOf, refuseIfTaken } from './socket-claim.js';
import { lockStateDir } from './state-lock.js';
import { hostProcesses } from './host-processes.js';

export interface DaemonOptions {
  baseRootfs?: string;
  socket: string;
  stateDir: string;
  graceMs: number;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  memoryEnforcer: 'auto' | 'module' | 'cgroup' | 'none';
}

export { DaemonError } from './socket-claim.js';

export async function makeLogger(level: string, format: 'json' | 'pretty'): Promise<Logger> {
  const options = { level, base: { pid: process.pid } };
  if (format === 'pretty') {
    // Loaded only when asked for; sync so no line is lost at exit, as below.
    const { default: pretty } = await import('pino-pretty');
    return pino(options, pretty({ sync: true, destination: 2, translateTime: 'SYS:HH:MM:ss.l' }));
  }
  // Synchronous destination: every line is written before the next statement, so nothing is
  // lost on SIGTERM, abort or an uncaught throw (pino's async modes lose the tail).
  return pino(options, pino.destination({ fd: 2, sync: true }));
}

/**
 * The log is written synchronously (nothing lost at a crash), so a full stderr pipe would stop
 * the event loop until its reader catches up: when stderr is a pipe, give it 1 MiB of room
 * (hundreds of log lines) instead of 64 KiB.
 */
function roomForTheLog(): void {
  try {
    if (fs.fstatSync(2).isFIFO()) native().setPipeSize(2, 1 << 20);
  } catch {
    /* not ours to change (a pipe of another user): the default size stays */
  }
}

export async function runDaemon(opts: DaemonOptions): Promise<void> {
  roomForTheLog();
  const log = await makeLogger(opts.logLevel, opts.logFormat);
  let base: ResolvedRootfs | null = null;
  if (opts.baseRootfs) {
    try {
      base = resolveRootfs(opts.baseRootfs);
    } catch (err) {
      throw new DaemonError(`base rootfs: ${(err as Error).message}`);
    }
  }
  const stateDir = path.resolve(opts.stateDir);
  try {
    fs.mkdirSync(path.join(stateDir, 'logs'), { recursive: true });
  } catch (err) {
    throw new DaemonError(`state directory ${stateDir}: ${(err as Error).message}`);
  }
  // Before anything else is made: another supervisor on this socket or state directory.
  refuseIfTaken(await occupantOf(opts.socket), opts.socket);
  const lock = lockStateDir(stateDir);

  let memory: MemoryEnforcer;
  try {
    memory = await chooseEnforcer(opts.memoryEnforcer, log);
  } catch (err) {
    throw new DaemonError((err as Error).message);
  }
  log.info({ enforcer: memory.kind, reason: memory.reason }, `memory enforcer: ${memory.kind}`);
  const logs: LogPipeline = createLogPipeline({ logger: log });
  await logs.start();

  const loopDelay = new LoopDelay();
  const recordWriter = await ThreadWriter.start((err) => log.error({ err: err.message }, 'record writer thread failed; records are written from the thread pool'));
  const sup = new Supervisor({
    recordWriter,
    stateDir,
    graceMs: opts.graceMs,
    baseRootfs: base,
    logger: log,
    logs,
    memory,
    runtime: nativeRuntime,
    socket: opts.socket,
    loopDelay,
    guarded: guardedPaths(opts.socket),
    processes: hostProcesses,
  });
  try {
    sup.recover();
  } catch (err) {
    throw new DaemonError(`container records in ${sup.records.dir}: ${(err as Error).message}`);
  }
  const { server, connections, inFlight } = createControlServer(sup, log);
  const socketStat = await claimSocket(server, opts.socket, log);
  log.info({ socket: opts.socket, stateDir, baseRootfs: base?.path ?? null, graceMs: opts.graceMs }, 'supervisor ready');

  let shutdown: Promise<void> | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shutdown) {
      log.info({ signal }, 'already shutting down');
      return;
    }
    log.info({ signal }, 'shutting down: stopping every container');
    // Bounded whatever the containers do: grace, then SIGKILL, then at most ~3 s of draining.
    const watchdog = setTimeout(() => {
      log.error('shutdown did not finish in time; exiting (containers die with the supervisor)');
      process.exit(1);
    }, opts.graceMs + 3000);
    watchdog.unref();
    shutdown = (async () => {
      server.close();
      await sup.stopAll();
      await recordWriter.close();
      await logs.close(1000);
      await memory.close();
      // Let `run` and `logs -f` clients receive their last bytes and final status.
      await Promise.race([Promise.all([...inFlight]), new Promise((r) => setTimeout(r, 1000))]);
      for (const c of connections) c.end();
      removeSocketIfOurs(opts.socket, socketStat);
      lock.release();
      log.info({ loopDelay: loopDelay.summary() }, 'supervisor exited cleanly');
      process.exit(0);
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', () => log.info('SIGHUP ignored'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err: err.stack }, 'uncaught exception: exiting (containers die with the supervisor)');
    removeSocketIfOurs(opts.socket, socketStat);
    lock.release();
    process.exit(1);
  });
}

function removeSocketIfOurs(socketPath: string, ours: fs.Stats): void {
  try {
    const st = fs.lstatSync(socketPath);
    if (st.ino === ours.ino && st.dev === ours.dev) fs.unlinkSync(socketPath);
  } catch {
    /* already gone */
  }
}

/**
 * Places no container rootfs may contain (rootfs-check.ts): the socket (a container could replace
 * it) and engine's own programs, which the supervisor and every container's init run as root.
 */
function guardedPaths(socket: string): Array<{ what: string; path: string; scope: 'tree' | 'ancestors' }> {
  const programs = ['dist', 'native', 'node_modules'].map((d) => path.join(REPO_ROOT, d));
  return [
    { what: "the supervisor's socket", path: socket, scope: 'ancestors' },
    ...programs.map((p) => ({ what: "engine's own programs", path: p, scope: 'tree' as const })),
  ];
}
