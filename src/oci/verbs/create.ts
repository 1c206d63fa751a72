// engine-oci create --bundle DIR [--pid-file F] [--console-socket S] [--no-pivot] [--no-new-keyring]
//                   [--preserve-fds N] ID
//
// Returns 0 only once the container's init exists, is fully set up (namespaces, cgroups, root,
// security) and is blocked before exec at the exec.fifo; the pid file is then written atomically
// with its host pid, and engine-oci exits: no daemon, no parent-death signal (the caller's
// subreaper, conmon or the shim, inherits init). Anything that fails is undone: init killed,
// cgroups removed, the state directory removed.

import fs from 'node:fs';
import path from 'node:path';
import { ContainerCgroup } from '../../cgroups/container.js';
import { native } from '../../native/addon.js';
import { processStartTicks } from '../../proc/proc.js';
import { FdMap, launchInit, type InitProcess } from '../../runtime/init-process.js';
import { StartError } from '../../runtime/types.js';
import type { DeviceRule, Resources, RuntimeSpec } from '../../spec/config.js';
import { compileSpec } from '../../spec/compile.js';
import { parseConfig } from '../../spec/validate.js';
import { bool, parseFlags, str, UsageError } from '../args.js';
import { runHooks } from '../hooks.js';
import { logDebug } from '../log.js';
import type { OciContext } from '../main.js';
import { registerMemoryAnnotations } from '../memory.js';
import { checkId, containerDir, fastStartPath, fifoPath, stateJson, writeState, type StoredState } from '../state.js';

const FLAGS = { values: ['bundle', 'b', 'pid-file', 'console-socket', 'preserve-fds'], booleans: ['no-pivot', 'no-new-keyring'] };

export function readConfig(file: string): RuntimeSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(json);
}

/** Writes a pid file the way callers expect: a temp file renamed over it, so it is whole or absent. */
export function writePidFile(file: string, pid: number): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, String(pid));
  fs.renameSync(tmp, file);
}

export async function run(ctx: OciContext, argv: string[]): Promise<number> {
  const p = parseFlags(argv, FLAGS);
  const id = checkId(p.args[0]);
  if (p.args.length > 1) throw new UsageError(`create takes one container id (got ${p.args.length} arguments)`);
  const bundle = path.resolve(str(p, 'bundle') ?? str(p, 'b') ?? process.cwd());
  const spec = readConfig(path.join(bundle, 'config.json'));
  if (!spec.process) throw new Error('config.json has no process: nothing to run');
  const preserve = Number(str(p, 'preserve-fds') ?? '0');
  if (!Number.isInteger(preserve) || preserve < 0 || preserve > 200) throw new UsageError(`--preserve-fds must be a small whole number (got ${str(p, 'preserve-fds')})`);
  const consoleSocket = str(p, 'console-socket');
  if (spec.process.terminal && !consoleSocket) throw new Error('process.terminal is true: --console-socket is required');
  if (!spec.process.terminal && consoleSocket) throw new Error('--console-socket given but process.terminal is false');

  fs.mkdirSync(ctx.root, { recursive: true, mode: 0o700 });
  const dir = containerDir(ctx.root, id);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`container with id "${id}" already exists`);
    throw err;
  }
  const cgroupPath = spec.linux?.cgroupsPath || `/engine-oci/${id}`;
  const state: StoredState = {
    id,
    bundle,
    rootfs: path.resolve(bundle, spec.root?.path ?? '.'),
    pid: 0,
    startTicks: null,
    creator: { pid: process.pid, startTicks: processStartTicks(process.pid) },
    created: new Date().toISOString(),
    annotations: spec.annotations ?? {},
    cgroupPath,
    namespaces: (spec.linux?.namespaces ?? []).filter((n) => !n.path).map((n) => n.type),
    phase: 'creating',
  };
  let cgroup: ContainerCgroup | null = null;
  let init: InitProcess | null = null;
  const opened: number[] = [];
  try {
    writeState(ctx.root, state);
    // config.json as it is now: later edits of the bundle's copy change nothing (runtime.md)
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec));
    cgroup = new ContainerCgroup(cgroupPath);
    cgroup.create();
    cgroup.apply(withRuntimeDevices(spec));
    registerMemoryAnnotations(spec, cgroup, null);

    const fifo = fifoPath(ctx.root, id);
    native().mkfifo(fifo, 0o622);
    const fifoFd = native().openPath(fifo);
    opened.push(fifoFd);
    const fds = new FdMap([0, 1, 2], Array.from({ length: preserve }, (_, k) => 3 + k));
    const gateFd = fds.add(fifoFd);
    let consoleFd: number | undefined;
    if (consoleSocket) {
      const sock = native().unixConnect(consoleSocket);
      opened.push(sock);
      consoleFd = fds.add(sock);
    }
    const compiled = compileSpec(spec, {
      bundle,
      fds,
      cgroupDirs: cgroup.dirs,
      consoleFd,
      noPivot: bool(p, 'no-pivot'),
      hookState: JSON.stringify(stateJson(state, 'creating')),
    });
    opened.push(...compiled.openedFds);
    init = await launchInit({
      plan: compiled.plan,
      fds,
      cloneFlags: compiled.cloneFlags,
      gate: { kind: 'fifo', fd: gateFd },
      waitParent: true,
      watchExit: false,
      mountNames: compiled.mountNames,
    });
    state.pid = init.pid;
    state.startTicks = processStartTicks(init.pid);
    writeState(ctx.root, state);
    logDebug(`container ${id}: init ${init.pid} launched`);
    // The parent's part: cgroups (which a forked init inherits), the user namespace's maps.
    cgroup.join(init.pid);
    if (compiled.idMaps) {
      await init.usernsReady;
      fs.writeFileSync(`/proc/${init.pid}/uid_map`, compiled.idMaps.uid);
      fs.writeFileSync(`/proc/${init.pid}/gid_map`, compiled.idMaps.gid);
    }
    init.release();
    if (init.childPid) {
      // init made the container's PID namespace itself and forked its PID 1
      state.pid = await init.childPid;
      state.startTicks = processStartTicks(state.pid);
      writeState(ctx.root, state);
    }
    registerMemoryAnnotations(spec, cgroup, state.pid);
    const hookState = stateJson(state, 'creating');
    runHooks(spec.hooks?.prestart, hookState, 'prestart');
    runHooks(spec.hooks?.createRuntime, hookState, 'createRuntime');
    await init.ready;
    state.phase = 'created';
    writeState(ctx.root, state);
    if (fastStartAllowed(spec) && state.startTicks) writeFastStart(ctx.root, state);
    const pidFile = str(p, 'pid-file');
    if (pidFile) writePidFile(path.resolve(pidFile), state.pid);
    init.detach();
    return 0;
  } catch (err) {
    init?.abort();
    init?.detach();
    if (state.pid && state.pid !== init?.pid) signalPid(state.pid);
    if (init) await waitGone(init.pid);
    if (state.pid) await waitGone(state.pid);
    await cgroup?.remove().catch(() => false);
    fs.rmSync(dir, { recursive: true, force: true });
    if (err instanceof StartError) throw new Error(startErrorMessage(err, spec));
    throw err;
  } finally {
    for (const fd of opened) fs.closeSync(fd);
  }
}

/**
 * Whether `start` of this container is only the gate (open exec.fifo, read init's byte, remove the
 * fifo): then the C launcher may do it without Node. start.ts does one thing more, the poststart
 * hooks; a container with any is always started by Node.
 */
export function fastStartAllowed(spec: RuntimeSpec): boolean {
  return !spec.hooks?.poststart?.length;
}

/** <dir>/fast-start, "PID STARTTICKS\n" (the launcher checks the pid is still the init): temp file + rename. */
function writeFastStart(root: string, state: StoredState): void {
  const file = fastStartPath(root, state.id);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${state.pid} ${state.startTicks}\n`);
  fs.renameSync(tmp, file);
}

/**
 * The devices cgroup rules the runtime adds after the spec's, as runc does: any node may be made
 * (the runtime makes /dev itself), the default devices, /dev/console, ptmx and every pty may be
 * used, and so may every device the spec lists in linux.devices. podman and containerd send
 * "deny all" and rely on this.
 */
export function withRuntimeDevices(spec: RuntimeSpec): Resources | undefined {
  const r = spec.linux?.resources;
  if (!r?.devices) return r;
  const allow = (type: 'c' | 'b', major?: number, minor?: number, access = 'rwm'): DeviceRule => ({ allow: true, type, major, minor, access });
  const defaults = [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2]].map(([ma, mi]) => allow('c', ma, mi));
  const listed = (spec.linux?.devices ?? []).filter((d) => d.type === 'c' || d.type === 'b' || d.type === 'u').map((d) => allow(d.type === 'b' ? 'b' : 'c', d.major, d.minor));
  return { ...r, devices: [...r.devices, allow('c', undefined, undefined, 'm'), allow('b', undefined, undefined, 'm'), ...defaults, allow('c', 136), ...listed] };
}

/** The message callers show: podman matches "no such file or directory" / "executable file not
 *  found" to report a missing command (exit 127) and "permission denied" (exit 126). */
export function startErrorMessage(err: StartError, spec: RuntimeSpec): string {
  const cmd = spec.process?.args[0] ?? '';
  if (err.step === 'exec') {
    if (err.errnoName === 'ENOENT' || err.errnoName === 'ENOTDIR') return `exec: "${cmd}": executable file not found in $PATH: no such file or directory`;
    return `exec: "${cmd}": permission denied`;
  }
  return `container init failed at ${err.step}: ${err.errnoName}`;
}

function signalPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

async function waitGone(pid: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (fs.existsSync(`/proc/${pid}`) && Date.now() < deadline) {
    try {
      if (/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))) return;
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
