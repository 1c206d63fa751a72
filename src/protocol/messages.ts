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
}

export type Request =
  | StartRequest
  | { verb: 'ps' }
  | { verb: 'inspect'; id: string; spec?: boolean }
  | { verb: 'logs'; id: string; follow?: boolean; tail?: number }
  | { verb: 'stop'; id: string; timeoutMs?: number }
  | { verb: 'rm'; id: string }
  | { verb: 'ping' }
  | { verb: 'info'; resetLoopDelay?: boolean };

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
  loopDelay: { p50Ms: number | null; p99Ms: number | null; maxMs: number | null; meanMs: number | null; samples: number; sinceMs: number } | null;
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
  | { ok: true; event: 'info'; info: SupervisorInfo };
