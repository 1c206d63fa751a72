// The fdio part of the native addon (native/src/fdio.cc), typed, for the log workers.
// ENGINE_NATIVE_ADDON overrides the path (a test build of the addon).

import { createRequire } from 'node:module';
import { ADDON_PATH } from '../paths.js';

export interface FdioAddon {
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
  closeFd(fd: number): void;
  /** [readFd, writeFd], O_CLOEXEC */
  pipe(): [number, number];
}

export const EAGAIN = 11;
export const EPOLLIN = 0x001;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;

let addon: FdioAddon | undefined;

export function fdio(): FdioAddon {
  if (!addon) {
    const require = createRequire(import.meta.url);
    addon = require(process.env.ENGINE_NATIVE_ADDON || ADDON_PATH) as FdioAddon;
  }
  return addon;
}
