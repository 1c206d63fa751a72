// engine-oci exec [--process FILE] [--detach] [--pid-file P] [--tty] [--console-socket S] [--cwd D]
//                 [--env K=V]... [--user UID[:GID]] [--cap CAP]... [--no-new-privs] [--preserve-fds N]
//                 ID [COMMAND [ARG...]]
//
// A new process in a created or running container: engine-init joins every namespace of the
// container's init through its pidfd, forks into its PID namespace (the child is made this
// process's own child, so it can be waited for), is put in the container's cgroups, and execs
// with the container's security unless the process spec says otherwise. --detach returns once the
// command is executing (its pid in --pid-file); otherwise exec waits and exits with its status,
// passing on the signals it gets.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { native, type ExitInfo } from '../../native/addon.js';
import { FdMap, launchInit } from '../../runtime/init-process.js';
import { StartError } from '../../runtime/types.js';
import type { Process, RuntimeSpec } from '../../spec/config.js';
import { canonicalCapability } from '../../security/capabilities.js';
import { compileExec, namespacesToJoin } from '../../spec/compile.js';
import { parseProcess } from '../../spec/validate.js';
import { bool, list, parseFlags, str, UsageError } from '../args.js';
import { load } from '../common.js';
import type { OciContext } from '../main.js';
import { checkId, containerDir } from '../state.js';
import { readConfig, startErrorMessage, writePidFile } from './create.js';

const FLAGS = {
  values: ['process', 'p', 'pid-file', 'console-socket', 'cwd', 'env', 'e', 'user', 'u', 'cap', 'c', 'preserve-fds', 'apparmor', 'process-label', 'cgroup'],
  booleans: ['detach', 'd', 'tty', 't', 'no-new-privs', 'ignore-paused'],
  repeatable: ['env', 'e', 'cap', 'c'],
  stopAtPositional: true,
};

function processFrom(p: ReturnType<typeof parseFlags>, base: Process, command: string[]): Process {
  const file = str(p, 'process') ?? str(p, 'p');
  if (file) {
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`--process ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return parseProcess(json);
  }
  if (command.length === 0) throw new UsageError('exec needs a command (or --process FILE)');
  const proc: Process = structuredClone(base);
  proc.args = command;
  proc.terminal = bool(p, 'tty') || bool(p, 't');
  const cwd = str(p, 'cwd');
  if (cwd) proc.cwd = cwd;
  proc.env = [...(base.env ?? []), ...list(p, 'env'), ...list(p, 'e')];
  const user = str(p, 'user') ?? str(p, 'u');
  if (user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(user);
    if (!m) throw new UsageError(`--user must be UID[:GID] (got "${user}")`);
    proc.user = { uid: Number(m[1]), gid: Number(m[2] ?? 0), additionalGids: [] };
  }
  for (const c of [...list(p, 'cap'), ...list(p, 'c')]) {
    const name = canonicalCapability(c);
    if (!name) throw new UsageError(`--cap: unknown capability "${c}"`);
    const caps = (proc.capabilities ??= {});
    for (const set of ['bounding', 'effective', 'permitted'] as const) caps[set] = [...new Set([...(caps[set] ?? []), name])];
  }
  if (bool(p, 'no-new-privs')) proc.noNewPrivileges = true;
  return proc;
}

export async function run(ctx: OciContext, argv: string[]): Promise<number> {
  const p = parseFlags(argv, FLAGS);
  const id = checkId(p.args[0]);
  const c = load(ctx.root, id);
  if (c.status === 'stopped') throw new Error('cannot exec in a stopped container');
  if (c.status === 'paused') throw new Error('cannot exec in a paused container');
  if (c.status === 'creating') throw new Error('cannot exec in a container that is still being created');
  const config: RuntimeSpec = readConfig(path.join(containerDir(ctx.root, id), 'config.json'));
  const proc = processFrom(p, config.process!, p.args.slice(1));
  const consoleSocket = str(p, 'console-socket');
  if (proc.terminal && !consoleSocket) throw new UsageError('--tty needs --console-socket (engine-oci does not make its own terminal)');
  const detach = bool(p, 'detach') || bool(p, 'd');
  const preserve = Number(str(p, 'preserve-fds') ?? '0');
  if (!Number.isInteger(preserve) || preserve < 0 || preserve > 200) throw new UsageError('--preserve-fds must be a small whole number');

  const opened: number[] = [];
  try {
    const fds = new FdMap([0, 1, 2], Array.from({ length: preserve }, (_, k) => 3 + k));
    const initPidfd = native().pidfdOpen(c.state.pid);
    opened.push(initPidfd);
    let consoleFd: number | undefined;
    if (consoleSocket) {
      const sock = native().unixConnect(consoleSocket);
      opened.push(sock);
      consoleFd = fds.add(sock);
    }
    const compiled = compileExec({ ...config, process: proc }, { fds, initPidfd: fds.add(initPidfd), joinFlags: namespacesToJoin(c.state.pid), consoleFd });
    const init = await launchInit({ plan: compiled.plan, fds, cloneFlags: 0, gate: { kind: 'pipe' }, watchExit: false });
    let child: number;
    try {
      child = await init.childPid!;
      c.cgroup.join(child);
      await init.go();
    } catch (err) {
      init.abort();
      if (err instanceof StartError) throw new Error(startErrorMessage(err, { ...config, process: proc }));
      throw err;
    }
    const pidFile = str(p, 'pid-file');
    if (pidFile) writePidFile(path.resolve(pidFile), child);
    init.detach();
    if (detach) return 0;
    return await waitFor(child);
  } finally {
    for (const fd of opened) fs.closeSync(fd);
  }
}

/** Waits for our child (made ours by CLONE_PARENT), passing signals on; resolves its status. */
function waitFor(pid: number): Promise<number> {
  const addon = native();
  const pidfd = addon.pidfdOpen(pid);
  const forward = (sig: NodeJS.Signals) => () => {
    try {
      addon.pidfdSignal(pidfd, os.constants.signals[sig]);
    } catch {
      /* gone */
    }
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
  const handlers = signals.map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return new Promise((resolve) => {
    addon.watchExit(pidfd, (info: ExitInfo) => {
      for (const [s, h] of handlers) process.off(s, h);
      fs.closeSync(pidfd);
      resolve(info.exitCode ?? 128 + (info.signal ?? 0));
    });
  });
}
