// No memory enforcement: limits are recorded but nothing watches them.
import type { EnforcerAttachment, MemoryEnforcer } from './types.js';

export class NoneEnforcer implements MemoryEnforcer {
  readonly kind = 'none' as const;
  constructor(readonly reason: string) {}
  async attach(): Promise<EnforcerAttachment> {
    return { exitAttribution: async () => null, release: async () => {} };
  }
  async close(): Promise<void> {}
}
