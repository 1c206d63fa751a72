// Memory enforcement through the kernel module monitor.ko (/dev/container_monitor).
// Placeholder until src/memory/module-device.ts (the device binding) lands.
import type { Logger } from './cgroup-common.js';
import type { MemoryEnforcer } from './types.js';

export const MONITOR_DEVICE = '/dev/container_monitor';

export async function createModuleEnforcer(_reason: string, _log?: Logger): Promise<MemoryEnforcer> {
  throw new Error('the kernel module enforcer needs the monitor device binding, which is not built yet');
}
