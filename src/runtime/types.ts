// The seam between the supervisor's lifecycle logic and the processes it runs. The supervisor only
// ever talks to a ProcessRuntime: the real one (native-runtime.ts) clones containers through the
// addon; a recording one (test/support/fake-runtime.ts) lets the lifecycle be tested without root,
// in milliseconds, with every race (stop during start, exit before the status is read, a kill
// after the grace) driven by the test.

import type { ExitInfo } from '../native/addon.js';
import type { RuntimeSpec } from '../spec/config.js';

export type { ExitInfo } from '../native/addon.js';

export interface ProcessSpec {
  id: string;
  /** the container, validated (src/spec): root.path absolute with links resolved */
  spec: RuntimeSpec;
  nice: number;
  cpus: number[] | null;
  /** write end of the log pipe: the container's stdout and stderr (unused with tty) */
  outFd: number;
  /** mount destinations resolved beneath the rootfs (-v, --tmpfs): compile.ts strictDestinations */
  strictDestinations?: ReadonlySet<string>;
  /** --overlay: the directories of the container's overlay (compile.ts CompileContext.overlay) */
  overlay?: { upper: string; work: string; merged: string };
  /** read end of the container's stdin pipe (-i); default /dev/null */
  stdinFd?: number;
  /** -t: a pty from the container's devpts is its stdio; spec.process.terminal is set */
  tty?: boolean;
}

export type RootMode = 'pivot_root' | 'chroot';

/**
 * One container's first process: created and waiting for the supervisor's part (release), then
 * setting the container up (ready), told to go, exited; its cgroups removed afterwards (cleanup).
 */
export interface ContainerHandle {
  readonly pid: number;
  /** The supervisor's part is done (memory enforcement attached): init may set up the container. */
  release(): void;
  /** After the exit: removes what the runtime made for the container (its cgroups). */
  cleanup(): Promise<void>;
  /** Resolves when the process waits for go(); rejects with a StartError when set-up failed. */
  readonly ready: Promise<{ rootMode: RootMode }>;
  /** Resolves once the process has exited and been reaped. Never rejects. */
  readonly exited: Promise<ExitInfo>;
  /** Lets the process execute its command. Resolves when exec succeeded; rejects with a StartError. */
  go(): Promise<void>;
  /** Ends a created process without running its command. */
  abort(): void;
  /** Sends a signal; false when the process is already gone. Never hits a recycled pid. */
  signal(name: NodeJS.Signals): boolean;
  /** With tty, once ready: the pty master init sent over the console socket (the caller owns it). */
  takeConsole?(): number;
}

export interface ProcessRuntime {
  /** A close-on-exec pipe for a container's output: [read end, write end]. */
  outputPipe(): [number, number];
  closeFd(fd: number): void;
  /** Creates the first process of a container; it waits before exec until go(). Rejects on failure. */
  spawn(spec: ProcessSpec): Promise<ContainerHandle>;
  /** The autogroup nice of the container's session (best effort: absent without autogroup). */
  setAutogroupNice(pid: number, nice: number): void;
}

/** A step before exec failed: the container never ran its command. */
export class StartError extends Error {
  constructor(
    readonly step: string,
    readonly errnoName: string,
    /** the container's exit status (src/exit-status.ts) */
    readonly exitCode: number,
  ) {
    super(`${step}: ${errnoName}`);
  }
}
