// Interim: no memory enforcement, until the enforcers of src/memory are wired in.
import type { EnforcerAttachment, MemoryEnforcer } from '../memory/types.js';

export class NoEnforcer implements MemoryEnforcer {
  readonly kind = 'none' as const;
  constructor(readonly reason: string) {}
  async attach(): Promise<EnforcerAttachment> {
    return { exitAttribution: async () => null, release: async () => {} };
  }
  async close(): Promise<void> {}
}
