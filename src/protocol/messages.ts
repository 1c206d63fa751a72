// Messages on the control socket, imported by both the CLI and the supervisor. Types only:
// the runtime validation of requests lives in schema.ts, which only the supervisor loads.

import type { ErrorCode } from '../errors.js';
import type { SecuritySummary } from '../spec/summary.js';

export const PROTOCOL_VERSION = 1;

export type ContainerState = 'starting' | 'running' | 'exited' | 'stopped' | 'hard_limit_killed' | 'killed' | 'failed';


export interface StartRequest {
  verb: 'start' | 'run';
  id: string;
  /** absolute: the client resolves it against its own working directory */
  rootfs: string;
  command: string[];
  softMib?: number;
  hardMib?: number;
  nice?: number;
  cpus?: string;
  logMode?: 'blocking' | 'non-blocking';
  logBufferMib?: number;
  logMaxMib?: number;
  // Isolation (Docker's flags, docs/security.md)
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  /** no-new-privileges, seccomp=unconfined|PROFILE.json (absolute: the client resolves it) */
  securityOpt?: string[];
  /** none (default), host, ns:PATH */
  network?: string;
  device?: string[];
  pidsLimit?: number;
  ulimit?: string[];
  /** UID[:GID] or names from the rootfs's /etc/passwd and /etc/group */
  user?: string;
  readOnly?: boolean;
  // Docker's everyday flags (CONTRACT.md)
  /** NAME=VALUE, in order (a later one wins); the client has read --env-file and NAME-only entries */
  env?: string[];
  /** -w: the working directory inside the container (made if missing) */
  workdir?: string;
  /** -v HOST:CONTAINER[:ro|rw], HOST absolute (the client resolves it) */
  volume?: string[];
  /** --tmpfs PATH[:OPTIONS] */
  tmpfs?: string[];
  /** default: the id */
  hostname?: string;
  /** remove the record and log once it has ended (and `run` has sent all of its output) */
  rm?: boolean;
  /** the rootfs is the read-only lower layer of an overlay private to this container */
  overlay?: boolean;
  /** -i: the container's stdin is a pipe the supervisor holds (run: fed by this client; start: by attach) */
  interactive?: boolean;
  /** -t: a pseudo-terminal is the container's stdin, stdout and stderr */
  tty?: TtyRequest;
}

/** -t: the client's window size and TERM (the container sees them at start). */
export interface TtyRequest {
  rows: number;
  cols: number;
  term?: string;
}

/** engine exec: a new process in a running container (CONTRACT.md, exec). */
export interface ExecRequest {
  verb: 'exec';
  id: string;
  command: string[];
  interactive?: boolean;
  tty?: TtyRequest;
  env?: string[];
  workdir?: string;
  user?: string;
}

/**
 * What a client sends after an exec, run -i or attach request: data frames are stdin bytes; JSON
 * frames are these.
 */
export type InputMessage = { input: 'eof' } | { input: 'resize'; rows: number; cols: number };

/** One process of a container (engine top). */
export interface TopProcess {
  /** the pid on the host */
  pid: number;
  /** the pid inside the container's PID namespace */
  containerPid: number | null;
  ppid: number;
  user: number;
  command: string;
}

export type Request =
  | StartRequest
  | { verb: 'ps' }
  | { verb: 'inspect'; id: string; spec?: boolean }
  | { verb: 'logs'; id: string; follow?: boolean; tail?: number }
  | { verb: 'stop'; id: string; timeoutMs?: number }
  | { verb: 'rm'; id: string }
  | { verb: 'ping' }
  | { verb: 'info'; resetLoopDelay?: boolean }
  | ExecRequest
  | { verb: 'top'; id: string }
  | { verb: 'attach'; id: string; stdin?: boolean };

export interface MemoryEventRecord {
  kind: 'soft' | 'hard';
  at: string;
  usageBytes?: number;
  limitBytes: number;
}

/** What ps --json and inspect print for one container. */
export interface ContainerRecord {
  id: string;
  pid: number | null;
  state: ContainerState;
  rootfs: string;
  command: string[];
  limits: { softMib: number; hardMib: number };
  nice: number;
  cpus: number[] | null;
  startedAt: string;
  finishedAt: string | null;
  exitCode: number | null;
  signal: string | null;
  reason: string | null;
  logPath: string;
  memoryEnforcer: string;
  memoryEvents: MemoryEventRecord[];
  rootMode: 'pivot_root' | 'chroot' | null;
  log: { mode: 'blocking' | 'non-blocking'; bytes: number; dropped: number };
  /** the container's isolation, as it was started (src/spec/summary.ts) */
  security: SecuritySummary | null;
}

/** How late the supervisor's event loop ran (src/supervisor/loop-delay.ts); times in ms. */
export interface LoopDelayInfo {
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  meanMs: number | null;
  samples: number;
  sinceMs: number;
  /** the main thread over the same time, from the kernel (/proc/thread-self/schedstat): time on a
   *  CPU, and time runnable but waiting for one; null where the kernel does not say */
  mainThread: { cpuMs: number; waitMs: number } | null;
  /** the longest stall seen by the stall sampler, and what the main thread did meanwhile: ran
   *  (synchronous work), waited for a CPU (other threads and processes had them), or was blocked
   *  (asleep in a system call or on a lock: what is left of the stall) */
  worstStall: { lateMs: number; cpuMs: number; waitMs: number; blockedMs: number; at: string } | null;
}

/** What `engine info` prints: the supervisor itself rather than a container. */
export interface SupervisorInfo {
  pid: number;
  version: string;
  startedAt: string;
  uptimeMs: number;
  socket: string | null;
  stateDir: string;
  memoryEnforcer: { kind: string; reason: string };
  containers: { total: number; live: number };
  /** event-loop delay in ms (perf_hooks.monitorEventLoopDelay) since start or the last reset */
  loopDelay: LoopDelayInfo | null;
  rssBytes: number;
  /** libseccomp compilations so far: one per distinct filter, not per container (seccomp-compile.ts) */
  seccompCompilations: number;
}

export interface ErrorReply {
  ok: false;
  error: { code: ErrorCode; message: string };
}

export type Reply =
  | ErrorReply
  | { ok: true; event: 'started'; record: ContainerRecord }
  | { ok: true; event: 'exited'; record: ContainerRecord }
  | { ok: true; event: 'stopped'; record: ContainerRecord; note?: string }
  | { ok: true; event: 'list'; records: ContainerRecord[] }
  | { ok: true; event: 'record'; record: ContainerRecord }
  | { ok: true; event: 'spec'; spec: unknown }
  | { ok: true; event: 'removed'; id: string }
  | { ok: true; event: 'end' }
  | { ok: true; event: 'pong'; pid: number; version: number }
  | { ok: true; event: 'info'; info: SupervisorInfo }
  | { ok: true; event: 'exec-started'; pid: number }
  | { ok: true; event: 'exec-exited'; exitCode: number; reason?: string }
  | { ok: true; event: 'top'; id: string; processes: TopProcess[] }
  | { ok: true; event: 'attached'; record: ContainerRecord; stdin: boolean; tty: boolean }
  | { ok: true; event: 'detached' };
