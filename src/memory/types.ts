// The contract between the supervisor and a memory enforcer (kernel module, cgroup v1/v2, none).
// Lifecycle per container: the container is created and waits before exec; the supervisor calls
// attach() (cgroup join / module registration happen here, so the command never runs unmonitored),
// then lets the container exec. When the container's init has exited, the supervisor calls
// exitAttribution() to learn whether the enforcer killed it, then release().

export type EnforcerKind = 'module' | 'cgroup-v2' | 'cgroup-v1' | 'none';

export interface MemoryLimits {
  softBytes: number;
  hardBytes: number;
}

export interface MemoryEvent {
  kind: 'soft' | 'hard';
  /** ISO time the enforcer saw it */
  at: string;
  /** resident/usage bytes at the event, when known */
  usageBytes?: number;
  limitBytes: number;
}

export interface EnforcerAttachment {
  /** Called after the container's init has exited: 'hard' if the enforcer's own event says it killed it. */
  exitAttribution(): Promise<'hard' | null>;
  /** Remove the cgroup / unregister. Idempotent, never throws. */
  release(): Promise<void>;
}

export interface MemoryEnforcer {
  readonly kind: EnforcerKind;
  /** Why this enforcer was chosen, for the supervisor's start-up log line. */
  readonly reason: string;
  /** pid is the container init's host PID; it has not executed its command yet. */
  attach(id: string, pid: number, limits: MemoryLimits, onEvent: (ev: MemoryEvent) => void): Promise<EnforcerAttachment>;
  /** Supervisor shutdown. */
  close(): Promise<void>;
}
