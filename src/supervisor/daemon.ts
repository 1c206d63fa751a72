// `engine supervisor`: checks the socket, starts the log pipeline and the memory enforcer,
// serves the control socket, and shuts down in order on SIGINT/SIGTERM.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { encodeJson, FrameDecoder } from '../protocol/framing.js';
import type { LogPipeline } from '../logging/types.js';
import type { MemoryEnforcer } from '../memory/types.js';
import { createControlServer } from './server.js';
import { Supervisor } from './supervisor.js';
import { resolveRootfs, type ResolvedRootfs } from './rootfs-check.js';
import { createLogPipeline } from '../logging/pipeline.js';
import { chooseEnforcer } from '../memory/choose.js';
import { nativeRuntime } from '../runtime/native-runtime.js';
import { LoopDelay } from './loop-delay.js';
import { native } from '../native/addon.js';

export interface DaemonOptions {
  baseRootfs?: string;
  socket: string;
  stateDir: string;
  graceMs: number;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  memoryEnforcer: 'auto' | 'module' | 'cgroup' | 'none';
}

/** A start-up problem: one line on stderr, exit 1. */
export class DaemonError extends Error {}

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

/** Is a supervisor answering on this socket? Resolves with its pid, or null. */
export function probeSocket(socketPath: string, timeoutMs = 1000): Promise<{ live: boolean; pid?: number }> {
  return new Promise((resolve) => {
    const sock = net.connect(socketPath);
    const decoder = new FrameDecoder(1 << 20);
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ live: true }); // something accepted the connection: never take it away
    }, timeoutMs);
    sock.on('connect', () => sock.write(encodeJson({ verb: 'ping' })));
    sock.on('data', (chunk) => {
      try {
        const frames = decoder.push(chunk);
        if (frames.length) {
          clearTimeout(timer);
          sock.destroy();
          const m = (frames[0] as { message: { pid?: number } }).message;
          resolve({ live: true, pid: m?.pid });
        }
      } catch {
        /* not ours, but alive */
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ live: err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT' });
    });
  });
}

async function claimSocket(socketPath: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch {
    return; // absent: ours to create
  }
  if (!st.isSocket()) throw new DaemonError(`${socketPath} exists and is not a socket; remove it or use --socket`);
  const probe = await probeSocket(socketPath);
  if (probe.live) throw new DaemonError(`another supervisor${probe.pid ? ` (pid ${probe.pid})` : ''} is answering on ${socketPath}`);
  fs.unlinkSync(socketPath); // stale: left by a supervisor that was killed
}

function listen(server: net.Server, socketPath: string): Promise<fs.Stats> {
  return new Promise((resolve, reject) => {
    // The socket is created 0600: only root and the supervisor's user reach it (SO_PEERCRED
    // checks the uid as well).
    const old = process.umask(0o177);
    server.once('error', (err: NodeJS.ErrnoException) => {
      process.umask(old);
      reject(new DaemonError(err.code === 'EADDRINUSE' ? `another supervisor is answering on ${socketPath}` : `cannot listen on ${socketPath}: ${err.message}`));
    });
    server.listen(socketPath, () => {
      process.umask(old);
      resolve(fs.lstatSync(socketPath));
    });
  });
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
  await claimSocket(opts.socket);

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
  const sup = new Supervisor({ stateDir, graceMs: opts.graceMs, baseRootfs: base, logger: log, logs, memory, runtime: nativeRuntime, socket: opts.socket, loopDelay });
  const { server, connections, inFlight } = createControlServer(sup, log);
  const socketStat = await listen(server, opts.socket);
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
      await logs.close(1000);
      await memory.close();
      // Let `run` and `logs -f` clients receive their last bytes and final status.
      await Promise.race([Promise.all([...inFlight]), new Promise((r) => setTimeout(r, 1000))]);
      for (const c of connections) c.end();
      removeSocketIfOurs(opts.socket, socketStat);
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
