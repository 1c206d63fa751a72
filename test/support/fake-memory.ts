// A MemoryEnforcer the test drives: it records attachments, can emit soft/hard events, and says
// whether it killed a container, as a real enforcer's own event would.

import type { EnforcerAttachment, MemoryEnforcer, MemoryEvent, MemoryLimits } from '../../src/memory/types.js';

export class FakeMemory implements MemoryEnforcer {
  readonly kind = 'none' as const;
  readonly reason = 'fake enforcer for tests';
  readonly attached = new Map<string, { pid: number; limits: MemoryLimits; onEvent: (ev: MemoryEvent) => void; released: boolean }>();
  /** ids whose end the enforcer claims (a hard-limit kill) */
  readonly killedByMe = new Set<string>();
  closed = false;

  async attach(id: string, pid: number, limits: MemoryLimits, onEvent: (ev: MemoryEvent) => void): Promise<EnforcerAttachment> {
    const entry = { pid, limits, onEvent, released: false };
    this.attached.set(id, entry);
    return {
      exitAttribution: async () => (this.killedByMe.has(id) ? 'hard' : null),
      release: async () => void (entry.released = true),
    };
  }

  /** The enforcer's own hard event, as the module or the cgroup reports it before the kill. */
  hardKill(id: string): void {
    const a = this.attached.get(id);
    if (!a) throw new Error(`${id} is not attached`);
    this.killedByMe.add(id);
    a.onEvent({ kind: 'hard', at: new Date().toISOString(), limitBytes: a.limits.hardBytes });
  }

  soft(id: string): void {
    const a = this.attached.get(id)!;
    a.onEvent({ kind: 'soft', at: new Date().toISOString(), limitBytes: a.limits.softBytes });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
