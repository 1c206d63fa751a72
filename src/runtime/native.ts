// The native addon, typed. Loaded once, lazily, so CLI verbs that never need it do not pay for it.

import { createRequire } from 'node:module';
import { ADDON_PATH } from '../paths.js';

export interface CreateOptions {
  rootfs: string;
  hostname: string;
  argv: string[];
  candidates: string[];
  env: string[];
  nice?: number;
  cpus?: number[];
  outFd: number;
  newSession?: boolean;
}

export interface CreatedChild {
  pid: number;
  pidfd: number;
  statusFd: number;
  goFd: number;
}

export interface ExitInfo {
  pid: number;
  exitCode: number | null;
  signal: number | null;
  coreDumped: boolean;
  error?: Error;
}

export interface NativeAddon {
  createContainer(options: CreateOptions): CreatedChild;
  pidfdSignal(pidfd: number, signal: number): boolean;
  watchExit(pidfd: number, callback: (info: ExitInfo) => void): void;
  stepName(step: number): string;
  statusRecordSize: number;
  childExitCodes: { setupFailed: number; notFound: number; notExecutable: number; aborted: number };
  makePipe(): [number, number];
  peerCred(fd: number): { pid: number; uid: number; gid: number };
  [name: string]: unknown;
}

let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (!addon) {
    const require = createRequire(import.meta.url);
    try {
      addon = require(ADDON_PATH) as NativeAddon;
    } catch (err) {
      throw new Error(`cannot load the native addon at ${ADDON_PATH} (run make): ${(err as Error).message}`);
    }
  }
  return addon;
}
