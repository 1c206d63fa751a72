// The kernel monitor's device (/dev/container_monitor, module/monitor.ko), typed, over the native
// addon's monitor* functions (native/src/monitor.cc). A binding, not a policy: the enforcer
// (module-enforcer.ts) decides what to register and what the events mean.
//
// Errors are the kernel's, as Node-style system errors: err.code is 'EINVAL' (bad field: pid <= 0,
// hard 0, soft > hard, id empty or >= 64 bytes), 'ESRCH' (no such live task), 'EEXIST' (pid already
// registered), 'ENOENT' (unregister of an unknown pid), 'EPERM' (no CAP_SYS_ADMIN), 'ENOTTY'.

import fs from 'node:fs';
import { native, type MonitorEventRecord, type MonitorStats } from '../native/addon.js';

export type { MonitorEventKind, MonitorEventRecord, MonitorStats } from '../native/addon.js';

export const MONITOR_DEVICE_PATH = '/dev/container_monitor';

/** Whether the control device exists (the module is loaded). Opening may still fail (EACCES). */
export function moduleDevicePresent(path = MONITOR_DEVICE_PATH): boolean {
  try {
    return fs.statSync(path).isCharacterDevice();
  } catch {
    return false;
  }
}

/** An open /dev/container_monitor. The descriptor is non-blocking and close-on-exec. */
export class ModuleDevice {
  private closed = false;

  private constructor(readonly fd: number, readonly path: string) {}

  /** Throws the open(2) error (ENOENT when the module is not loaded). */
  static open(path = MONITOR_DEVICE_PATH): ModuleDevice {
    return new ModuleDevice(native().monitorOpen(path), path);
  }

  /** MONITOR_REGISTER: watch pid's RSS. Throws the kernel's errno as err.code. */
  register(pid: number, softBytes: number | bigint, hardBytes: number | bigint, containerId: string): void {
    this.check();
    native().monitorRegister(this.fd, pid, softBytes, hardBytes, containerId);
  }

  /** MONITOR_UNREGISTER. false when the module no longer holds pid (it was killed or has exited: ENOENT). */
  unregister(pid: number): boolean {
    this.check();
    try {
      native().monitorUnregister(this.fd, pid);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** Every queued event record, oldest first; [] when none (never blocks). */
  readEvents(): MonitorEventRecord[] {
    this.check();
    return native().monitorReadEvents(this.fd);
  }

  /** MONITOR_STATS. */
  stats(): MonitorStats {
    this.check();
    return native().monitorStats(this.fd);
  }

  /**
   * Read events every intervalMs (the module scans every interval_ms, default 100) and hand each to
   * onEvent; read errors go to onError. Returns a stop function. The timer does not keep Node alive.
   */
  watch(onEvent: (ev: MonitorEventRecord) => void, opts: { intervalMs?: number; onError?: (err: Error) => void } = {}): () => void {
    const timer = setInterval(() => {
      if (this.closed) return;
      let events: MonitorEventRecord[];
      try {
        events = this.readEvents();
      } catch (err) {
        opts.onError?.(err as Error);
        return;
      }
      for (const ev of events) onEvent(ev);
    }, opts.intervalMs ?? 50);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Idempotent. Entries stay registered in the module after close (they end with their tasks or at rmmod). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    native().monitorClose(this.fd);
  }

  private check(): void {
    if (this.closed) throw Object.assign(new Error(`${this.path}: device closed`), { code: 'EBADF' });
  }
}
