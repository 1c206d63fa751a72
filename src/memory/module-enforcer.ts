// Memory enforcement through the kernel module monitor.ko (/dev/container_monitor), the seed's
// design: the container's init (its host PID) is registered with its limits before it executes its
// command; the module scans the RSS of that ONE process every interval_ms (default 100): above soft
// it queues one SOFT event, above hard it sends SIGKILL and queues a HARD event. Events are read from
// the device every 20 ms; a HARD event for the pid during this registration is the proof of the kill.
// Children of the init are not watched (the module counts one process's RSS, not the container).

import { ModuleDevice, MONITOR_DEVICE_PATH, type MonitorEventRecord } from './module-device.js';
import { silentLogger, type Logger } from './cgroup-common.js';
import type { EnforcerAttachment, MemoryEnforcer, MemoryEvent, MemoryLimits } from './types.js';

export const MONITOR_DEVICE = MONITOR_DEVICE_PATH;
/** How often the device's event queue is drained (the module itself scans every 100 ms). */
export const MODULE_READ_MS = 20;

interface Registration {
  id: string;
  pid: number;
  limits: MemoryLimits;
  onEvent: (ev: MemoryEvent) => void;
  softSent: boolean;
  hardSent: boolean;
  /** the module removed the entry (hard kill or task gone) */
  ended: boolean;
  released: boolean;
}

export class ModuleEnforcer implements MemoryEnforcer {
  readonly kind = 'module' as const;
  private readonly regs = new Map<number, Registration>();
  private stopWatch: (() => void) | null = null;
  private lastDropped = 0;
  private closed = false;

  constructor(
    private readonly dev: ModuleDevice,
    readonly reason: string,
    private readonly log: Logger = silentLogger,
  ) {
    this.lastDropped = safeDropped(dev);
    this.stopWatch = dev.watch((ev) => this.onRecord(ev), {
      intervalMs: MODULE_READ_MS,
      onError: (err) => this.log.warn({ err: err.message }, 'reading the monitor device failed'),
    });
  }

  /** The module's scan period, for logs and docs. */
  intervalMs(): number | null {
    try {
      return this.dev.stats().intervalMs;
    } catch {
      return null;
    }
  }

  async attach(id: string, pid: number, limits: MemoryLimits, onEvent: (ev: MemoryEvent) => void): Promise<EnforcerAttachment> {
    if (this.closed) throw new Error('memory enforcer is closed');
    this.drain(); // records of an earlier registration of this pid are handled before it is replaced
    try {
      this.dev.register(pid, limits.softBytes, limits.hardBytes, id);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`monitor register pid ${pid}: ${(err as Error).message}`);
      // a stale entry for a reused pid (a supervisor that died without unregistering): replace it
      this.dev.unregister(pid);
      this.dev.register(pid, limits.softBytes, limits.hardBytes, id);
    }
    const r: Registration = { id, pid, limits, onEvent, softSent: false, hardSent: false, ended: false, released: false };
    this.regs.set(pid, r);
    return {
      exitAttribution: async () => {
        this.drain(); // the HARD record is queued before the SIGKILL is sent: it is here by now
        return r.hardSent ? 'hard' : null;
      },
      release: async () => this.release(r),
    };
  }

  private drain(): void {
    let events: MonitorEventRecord[];
    try {
      events = this.dev.readEvents();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'reading the monitor device failed');
      return;
    }
    for (const ev of events) this.onRecord(ev);
  }

  private onRecord(ev: MonitorEventRecord): void {
    if (ev.dropped > this.lastDropped) {
      this.log.warn({ dropped: ev.dropped - this.lastDropped }, 'the monitor dropped event records (queue full)');
      this.lastDropped = ev.dropped;
    }
    const r = this.regs.get(ev.pid);
    if (!r || r.released || ev.containerId !== r.id) return; // not ours, or an earlier registration's
    const at = new Date(ev.timeMs).toISOString();
    if (ev.kind === 'soft') {
      if (r.softSent) return;
      r.softSent = true;
      this.emit(r, { kind: 'soft', at, usageBytes: ev.rssBytes, limitBytes: ev.limitBytes });
    } else if (ev.kind === 'hard') {
      r.ended = true;
      if (r.hardSent) return;
      r.hardSent = true;
      this.emit(r, { kind: 'hard', at, usageBytes: ev.rssBytes, limitBytes: ev.limitBytes });
    } else {
      r.ended = true;
    }
  }

  private emit(r: Registration, ev: MemoryEvent): void {
    try {
      r.onEvent(ev);
    } catch (err) {
      this.log.warn({ id: r.id, err: (err as Error).message }, 'memory event handler threw');
    }
  }

  private async release(r: Registration): Promise<void> {
    if (r.released) return;
    this.drain();
    r.released = true;
    if (this.regs.get(r.pid) === r) this.regs.delete(r.pid);
    if (r.ended || this.closed) return;
    try {
      this.dev.unregister(r.pid); // false (ENOENT) when the module already dropped it
    } catch (err) {
      this.log.warn({ id: r.id, pid: r.pid, err: (err as Error).message }, 'monitor unregister failed');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const r of [...this.regs.values()]) await this.release(r);
    this.closed = true;
    this.stopWatch?.();
    this.stopWatch = null;
    try {
      this.dev.close();
    } catch {
      /* already closed */
    }
  }
}

function safeDropped(dev: ModuleDevice): number {
  try {
    return dev.stats().dropped;
  } catch {
    return 0;
  }
}

/** Opens the device and makes the enforcer. Throws (one line) when the device cannot be opened. */
export async function createModuleEnforcer(reason: string, log?: Logger, path = MONITOR_DEVICE): Promise<ModuleEnforcer> {
  let dev: ModuleDevice;
  try {
    dev = ModuleDevice.open(path);
  } catch (err) {
    throw new Error(`cannot open ${path}: ${(err as Error).message}`);
  }
  let ms: number | null = null;
  try {
    ms = dev.stats().intervalMs;
  } catch {
    /* an older module without MONITOR_STATS */
  }
  return new ModuleEnforcer(dev, ms === null ? reason : `${reason}, RSS of each container's init scanned every ${ms} ms`, log);
}
