// The native addon (native/build/Release/engine_native.node), typed, loaded once and lazily, so a
// CLI verb that never needs it does not pay for it. One loader for every part of the addon:
// spawn and exit watching (native/src/spawn.cc, exit_watch.cc), descriptors (fds.cc), the log
// workers' I/O (fdio.cc) and the kernel monitor's device (monitor.cc). The addon holds no policy:
// these are system calls with Node-style errors (err.code 'EINVAL', err.errno, err.syscall).

import { createRequire } from 'node:module';
import { ADDON_PATH } from '../paths.js';

// --- spawn.cc, exit_watch.cc -------------------------------------------------------------------

export interface SpawnInitOptions {
  /** engine-init: a descriptor (sealed memfd, run with execveat) or a path */
  exec: number | string;
  argv: string[];
  env: string[];
  /** the child's descriptor i is the parent's fds[i] (-1: closed) */
  fds: number[];
  /** CLONE_NEW* flags only */
  cloneFlags: number;
}

export interface ExitInfo {
  pid: number;
  exitCode: number | null;
  signal: number | null;
  coreDumped: boolean;
  error?: Error;
}

export interface SpawnAddon {
  spawnInit(options: SpawnInitOptions, callback: (err: Error | null, out?: { pid: number; pidfd: number }) => void): void;
  pidfdSignal(pidfd: number, signal: number): boolean;
  pidfdOpen(pid: number): number;
  watchExit(pidfd: number, callback: (info: ExitInfo) => void): void;
  /** a close-on-exec memfd holding the bytes, sealed against change when seal */
  memfdFrom(name: string, bytes: Buffer, seal: boolean): number;
  /** the CLONE_NEW* type of a namespace descriptor (NS_GET_NSTYPE) */
  nsType(fd: number): number;
  socketPair(): [number, number];
  unixConnect(path: string): number;
  recvFd(socketFd: number): number;
  /** the name of an engine-init step (native/init/plan.h) */
  stepName(step: number): string;
  statusRecordSize: number;
}

// --- fds.cc, fdio.cc ---------------------------------------------------------------------------

export interface FdioAddon {
  /** [readFd, writeFd], both O_CLOEXEC */
  pipe(): [number, number];
  closeFd(fd: number): void;
  peerCred(fd: number): { pid: number; uid: number; gid: number };
  /** a close-on-exec duplicate, numbered 3 or above */
  dupFd(fd: number): number;
  /** TIOCSWINSZ on a terminal (a pty master) */
  setWinsize(fd: number, rows: number, cols: number): void;
  mkfifo(path: string, mode: number): void;
  /** an O_PATH | O_CLOEXEC descriptor of the file */
  openPath(path: string): number;
  setPipeSize(fd: number, bytes: number): number;
  setNonblock(fd: number, on?: boolean): void;
  /** bytes read, 0 at EOF, or -errno */
  readInto(fd: number, buf: Uint8Array, offset: number, length: number): number;
  /** like readInto, into [off1, off1+len1) then [off2, off2+len2) of buf */
  readv2(fd: number, buf: Uint8Array, off1: number, len1: number, off2: number, len2: number): number;
  epollCreate(): number;
  epollAdd(epfd: number, fd: number, slot: number): void;
  epollDel(epfd: number, fd: number): void;
  /** n events or -errno; out[3i]=slot, out[3i+1]=fd, out[3i+2]=events */
  epollWait(epfd: number, out: Int32Array, timeoutMs: number): number;
  eventfdCreate(): number;
  eventfdSignal(fd: number): void;
  eventfdDrain(fd: number): number;
}

export const EAGAIN = 11;

// --- monitor.cc --------------------------------------------------------------------------------

/** soft: RSS crossed the soft limit (once per registration); hard: SIGKILL sent by the module,
 *  entry removed; gone: the task exited, entry removed. */
export type MonitorEventKind = 'soft' | 'hard' | 'gone';

/** One struct monitor_event (module/monitor_ioctl.h, 112 bytes) as read from the device. */
export interface MonitorEventRecord {
  kind: MonitorEventKind;
  /** the host PID as registered */
  pid: number;
  /** RSS the module's scan saw (0 for 'gone') */
  rssBytes: number;
  /** the limit crossed: soft for 'soft', hard for 'hard' and 'gone' */
  limitBytes: number;
  /** CLOCK_REALTIME of the event, ns */
  timeNs: bigint;
  /** CLOCK_MONOTONIC of the event, ns (comparable with process.hrtime.bigint()) */
  monoNs: bigint;
  /** timeNs in milliseconds, for Date */
  timeMs: number;
  /** records the module dropped on queue overflow since it was loaded (oldest first) */
  dropped: number;
  /** the container id given at registration */
  containerId: string;
}

/** struct monitor_stats: counters since the module was loaded. */
export interface MonitorStats {
  entries: number;
  queued: number;
  queueLen: number;
  intervalMs: number;
  dropped: number;
  scans: number;
  softEvents: number;
  hardKills: number;
  goneEvents: number;
}

export interface MonitorAddon {
  monitorOpen(path?: string): number;
  monitorRegister(fd: number, pid: number, softBytes: number | bigint, hardBytes: number | bigint, id: string): void;
  monitorUnregister(fd: number, pid: number): void;
  monitorReadEvents(fd: number): MonitorEventRecord[];
  monitorStats(fd: number): MonitorStats;
  monitorClose(fd: number): void;
}

// --- seccomp.cc --------------------------------------------------------------------------------

export interface SeccompAddon {
  /** libseccomp, in this process: the raw struct sock_filter[] of a filter description
   *  (src/security/seccomp-compile.ts decides every value) */
  compileSeccomp(description: unknown): Buffer;
}

// --- bpf.cc ------------------------------------------------------------------------------------

export interface BpfAddon {
  /** loads a BPF_PROG_TYPE_CGROUP_DEVICE program (8-byte instructions, src/cgroups/device-filter.ts)
   *  and attaches it to the cgroup directory (cgroup v2) */
  attachDeviceFilter(cgroupDir: string, insns: Buffer): void;
}

export type NativeAddon = SpawnAddon & FdioAddon & MonitorAddon & SeccompAddon & BpfAddon;

let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (!addon) {
    const require = createRequire(import.meta.url);
    try {
      addon = require(ADDON_PATH) as NativeAddon;
    } catch (err) {
      throw new Error(`cannot load the native addon at ${ADDON_PATH} (run make): ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return addon;
}
