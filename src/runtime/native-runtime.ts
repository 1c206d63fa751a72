// The real ProcessRuntime: containers launched through engine-init (init-process.ts) with a plan
// built from the container's spec.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { native } from '../native/addon.js';
import { FdMap, launchInit } from './init-process.js';
import { CLONE, MS, type InitPlan, type PlanDevice, type PlanMount } from './plan.js';
import type { ProcessRuntime, ProcessSpec } from './types.js';

export const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Paths to try for the command inside the container, in order (as execvp would). */
export function execCandidates(command: string, searchPath = CONTAINER_PATH): string[] {
  if (command.includes('/')) return [path.posix.resolve('/', command)];
  return searchPath
    .split(':')
    .filter((d) => d.startsWith('/'))
    .map((dir) => `${dir}/${command}`);
}

const DEV = (p: string, major: number, minor: number): PlanDevice => ({ path: p, type: 'c', major, minor, mode: 0o666, uid: 0, gid: 0, bind: false });
/** The minimal /dev of CONTRACT.md, as runc and crun create it. */
export const DEFAULT_DEVICES: PlanDevice[] = [DEV('/dev/null', 1, 3), DEV('/dev/zero', 1, 5), DEV('/dev/full', 1, 7), DEV('/dev/random', 1, 8), DEV('/dev/urandom', 1, 9), DEV('/dev/tty', 5, 0)];

const M = (destination: string, type: string, flags: number, data: string): PlanMount => ({ source: type, destination, type, flags, propagation: 0, pm: 0, data });
export const BASE_MOUNTS: PlanMount[] = [
  M('/proc', 'proc', MS.NOSUID | MS.NODEV | MS.NOEXEC, ''),
  M('/dev', 'tmpfs', MS.NOSUID | MS.STRICTATIME, 'mode=755,size=65536k'),
  M('/dev/pts', 'devpts', MS.NOSUID | MS.NOEXEC, 'newinstance,ptmxmode=0666,mode=0620,gid=5'),
  M('/dev/shm', 'tmpfs', MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=1777,size=65536k'),
];

let devNull: number | null = null;
function hostDevNull(): number {
  devNull ??= fs.openSync('/dev/null', 'r+'); // libuv opens close-on-exec
  return devNull;
}

export function planFor(spec: ProcessSpec): { plan: Omit<InitPlan, 'statusFd' | 'gate'>; fds: FdMap } {
  const fds = new FdMap([hostDevNull(), spec.outFd, spec.outFd]);
  const plan: Omit<InitPlan, 'statusFd' | 'gate'> = {
    rootfs: spec.rootfs,
    hostname: spec.id,
    argv: spec.argv,
    env: [`PATH=${CONTAINER_PATH}`, `HOSTNAME=${spec.id}`, 'HOME=/root', 'TERM=xterm'],
    candidates: execCandidates(spec.argv[0]),
    cwd: '/',
    nice: spec.nice,
    cpus: spec.cpus ?? undefined,
    setsid: true,
    mounts: BASE_MOUNTS,
    devices: DEFAULT_DEVICES,
    devTmpfs: true,
    parentDeathSignal: os.constants.signals.SIGKILL,
  };
  return { plan, fds };
}

export const nativeRuntime: ProcessRuntime = {
  outputPipe: () => native().pipe(),
  closeFd: (fd) => fs.closeSync(fd),
  spawn(spec) {
    const { plan, fds } = planFor(spec);
    return launchInit({
      plan,
      fds,
      cloneFlags: CLONE.NEWPID | CLONE.NEWUTS | CLONE.NEWNS | CLONE.NEWIPC,
      gate: { kind: 'pipe' },
      mountNames: plan.mounts?.map((m) => m.destination),
    });
  },
  setAutogroupNice(pid, nice) {
    // With autogroup on, nice only orders tasks of one session. Each container is its own session
    // (its init calls setsid), so its autogroup gets the container's nice: containers then compete
    // by their nice values, as they would without autogroup.
    try {
      fs.writeFileSync(`/proc/${pid}/autogroup`, String(nice));
    } catch {
      /* no autogroup support: plain nice applies */
    }
  },
};
