// engine exec: a new process in a running container, made the way engine-oci exec makes one
// (compileExec: engine-init joins every namespace of the container's init through its pidfd and
// forks into its PID namespace), put in the container's cgroups before it may exec, with the
// container's capabilities, seccomp filter and no_new_privs, not dumpable until exec. Its output
// (stdout and stderr together, or its terminal) goes through the log pipeline into a file of its
// own, streamed to the client as it arrives and deleted once the exec is over.

import fs from 'node:fs';
import path from 'node:path';
import { invalid, precondition } from '../errors.js';
import { EXIT_RUNTIME_FAILED, exitStatus } from '../exit-status.js';
import { native, type ExitInfo } from '../native/addon.js';
import type { ValidExec } from '../protocol/schema.js';
import { FdMap, launchInit, type InitProcess } from '../runtime/init-process.js';
import { receiveConsole } from '../runtime/native-runtime.js';
import { StartError } from '../runtime/types.js';
import { compileExec, namespacesToJoin } from '../spec/compile.js';
import { resolveUser } from '../spec/users.js';
import { dirsFor } from '../cgroups/hierarchies.js';
import type { Connection } from './connection.js';
import type { Container } from './container.js';
import { streamLog } from './log-stream.js';
import { feedStdin, PipeStdin, PtyStdin, resizeOnly, type StdinSink } from './stdin.js';
import type { Supervisor } from './supervisor.js';

/** One exec's output as streamLog reads it: a file, finished once every byte is in it. */
class ExecOutput {
  readonly record: { logPath: string };
  isFinished = false;
  private settle!: () => void;
  readonly done = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(logPath: string) {
    this.record = { logPath };
  }

  finish(): void {
    this.isFinished = true;
    this.settle();
  }
}

/** The process spec of the exec: the container's, with the request's command, env, cwd, user. */
function execProcess(c: Container, req: ValidExec) {
  const spec = structuredClone(c.spec!);
  const proc = spec.process!;
  proc.args = req.command;
  proc.terminal = req.tty !== undefined;
  const env = new Map((proc.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e] as const));
  if (req.tty) {
    proc.consoleSize = { height: req.tty.rows, width: req.tty.cols };
    env.set('TERM', `TERM=${req.tty.term || 'xterm'}`);
  }
  if (req.user !== undefined) {
    let user;
    try {
      user = resolveUser(req.user, c.record.rootfs, '-u');
    } catch (err) {
      throw invalid((err as Error).message);
    }
    proc.user = { ...proc.user, uid: user.uid, gid: user.gid, additionalGids: [] };
    env.set('HOME', `HOME=${user.home}`);
  }
  for (const e of req.env ?? []) env.set(e.slice(0, e.indexOf('=')), e);
  proc.env = [...env.values()];
  if (req.workdir) proc.cwd = req.workdir;
  return spec;
}

/** Puts `pid` in every cgroup the container's init is in (pids, devices, memory, ...). */
function joinContainerCgroups(pid: number, containerPid: number): void {
  for (const { dir } of dirsFor('.', containerPid)) {
    try {
      fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
    } catch (err) {
      throw new StartError(`cgroup ${dir}`, (err as NodeJS.ErrnoException).code ?? 'error', EXIT_RUNTIME_FAILED);
    }
  }
}

function watchChild(pid: number): Promise<ExitInfo> {
  const addon = native();
  const pidfd = addon.pidfdOpen(pid);
  return new Promise((resolve) => {
    addon.watchExit(pidfd, (info) => {
      fs.close(pidfd, () => {});
      resolve(info);
    });
  });
}

export async function execInContainer(sup: Supervisor, req: ValidExec, conn: Connection): Promise<void> {
  const c = sup.get(req.id);
  if (c.record.state !== 'running' || c.record.pid === null || c.exitSeen) {
    throw precondition(`container ${req.id} is not running (${c.record.state}); exec needs a running container`);
  }
  const spec = execProcess(c, req);
  const tty = req.tty !== undefined;
  const n = ++c.execCount;
  const key = `${req.id}#exec-${n}`;
  const logPath = path.join(sup.logsDir, `${req.id}.exec-${n}.log`);
  const addon = native();
  const toClose: number[] = [];
  const ours: number[] = []; // kept past the launch: closed if it fails
  let init: InitProcess;
  let outR = -1;
  let stdinW = -1;
  let consoleSock = -1;
  try {
    const initPidfd = addon.pidfdOpen(c.record.pid);
    toClose.push(initPidfd);
    // The pidfd is of the container's init, not a recycled pid: it had not exited when opened.
    if (c.exitSeen) throw precondition(`container ${req.id} is not running; exec needs a running container`);
    let stdinR = -1;
    let outW = -1;
    if (req.interactive && !tty) {
      [stdinR, stdinW] = addon.pipe();
      toClose.push(stdinR);
      ours.push(stdinW);
    }
    if (!tty) {
      [outR, outW] = addon.pipe();
      toClose.push(outW);
      ours.push(outR);
    }
    const devNull = fs.openSync('/dev/null', 'r+');
    toClose.push(devNull);
    const fds = new FdMap([stdinR >= 0 ? stdinR : devNull, outW >= 0 ? outW : devNull, outW >= 0 ? outW : devNull]);
    let consoleFd: number | undefined;
    if (tty) {
      const [a, b] = addon.socketPair();
      consoleSock = a;
      ours.push(a);
      toClose.push(b);
      consoleFd = fds.add(b);
    }
    const compiled = compileExec(spec, { fds, initPidfd: fds.add(initPidfd), joinFlags: namespacesToJoin(c.record.pid), consoleFd });
    // The launched engine-init exits as soon as it has forked the exec's process (made our child
    // by CLONE_PARENT): its exit must not close the start gate, so it is reaped on the side.
    init = await launchInit({ plan: compiled.plan, fds, cloneFlags: 0, gate: { kind: 'pipe' }, watchExit: false });
    void watchChild(init.pid);
  } catch (err) {
    for (const fd of ours) addon.closeFd(fd);
    throw err;
  } finally {
    for (const fd of toClose) addon.closeFd(fd);
  }

  let exited: Promise<ExitInfo> | null = null;
  let sink: StdinSink | null = null;
  let attached = false;
  try {
    const child = await init.childPid!;
    exited = watchChild(child);
    joinContainerCgroups(child, c.record.pid);
    await init.ready;
    if (tty) {
      const master = receiveConsole(consoleSock);
      sink = new PtyStdin(addon.dupFd(master));
      sup.config.logs.attach(key, master, logPath);
    } else {
      if (stdinW >= 0) sink = new PipeStdin(stdinW);
      stdinW = -1;
      sup.config.logs.attach(key, outR, logPath);
    }
    outR = -1;
    attached = true;
    await init.go();
    init.detach();
    conn.reply({ ok: true, event: 'exec-started', pid: child });
  } catch (err) {
    init.abort();
    init.detach();
    for (const fd of [outR, stdinW]) if (fd >= 0) addon.closeFd(fd);
    if (consoleSock >= 0) addon.closeFd(consoleSock);
    sink?.close();
    if (attached) await sup.config.logs.drained(key).catch(() => {});
    await cleanupOutput(sup, key, logPath, attached);
    if (!(err instanceof StartError)) throw err;
    // Failures before exec end the exec as they end a run: 125, or 126/127 for the command.
    sup.log.warn({ id: req.id, reason: err.message }, 'exec failed to start');
    return conn.end({ ok: true, event: 'exec-exited', exitCode: err.exitCode, reason: err.message });
  }
  if (consoleSock >= 0) addon.closeFd(consoleSock);

  if (sink && req.interactive) feedStdin(sink, conn, { closeStdin: true });
  else if (sink) resizeOnly(sink, conn);
  const output = new ExecOutput(logPath);
  const finished = exited.then(async (info) => {
    sink?.close();
    await sup.config.logs.drained(key).catch(() => {});
    output.finish();
    return info;
  });
  sup.log.info({ id: req.id, command: req.command, tty }, 'exec started');
  await streamLog(output, conn, { follow: true, from: 0 });
  const info = await finished;
  await cleanupOutput(sup, key, logPath, true);
  const status = exitStatus(info.exitCode, info.signal) ?? EXIT_RUNTIME_FAILED;
  sup.log.info({ id: req.id, exitCode: status }, 'exec exited');
  conn.end({ ok: true, event: 'exec-exited', exitCode: status });
}

async function cleanupOutput(sup: Supervisor, key: string, logPath: string, attached: boolean): Promise<void> {
  if (attached) sup.config.logs.forget(key);
  await fs.promises.rm(logPath, { force: true }).catch(() => {});
}
