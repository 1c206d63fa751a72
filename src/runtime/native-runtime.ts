// The real ProcessRuntime: a container's spec compiled to a plan (src/spec/compile.ts), its
// cgroups for pids and devices made and joined (the memory enforcer keeps the memory controller),
// and engine-init launched with the plan (init-process.ts).

import fs from 'node:fs';
import os from 'node:os';
import { ContainerCgroup } from '../cgroups/container.js';
import { supervisorCgroupName } from '../memory/cgroup-common.js';
import { native } from '../native/addon.js';
import { compileSpec } from '../spec/compile.js';
import { FdMap, launchInit, type InitProcess } from './init-process.js';
import type { ContainerHandle, ProcessRuntime, ProcessSpec } from './types.js';

let devNull: number | null = null;
function hostDevNull(): number {
  devNull ??= fs.openSync('/dev/null', 'r+'); // libuv opens close-on-exec
  return devNull;
}

/** The controllers the supervisor's ContainerCgroup holds (memory is the enforcer's). */
const CONTROLLERS = ['pids', 'devices'];

class NativeContainer implements ContainerHandle {
  constructor(
    private readonly init: InitProcess,
    private readonly cgroup: ContainerCgroup,
    /** our end of the console socket (tty) */
    private consoleSock: number | null,
  ) {}
  takeConsole(): number {
    if (this.consoleSock === null) throw new Error('the container has no terminal');
    const sock = this.consoleSock;
    this.consoleSock = null;
    try {
      return receiveConsole(sock);
    } finally {
      fs.closeSync(sock);
    }
  }
  get pid() { return this.init.pid; }
  get ready() { return this.init.ready; }
  get exited() { return this.init.exited; }
  release() { this.init.release(); }
  go() { return this.init.go(); }
  abort() { this.init.abort(); }
  signal(name: NodeJS.Signals) { return this.init.signal(name); }
  async cleanup() {
    if (this.consoleSock !== null) fs.closeSync(this.consoleSock);
    this.consoleSock = null;
    await this.cgroup.remove();
  }
}

/** The pty master engine-init sent before it reported READY (native/init/console.c). */
export function receiveConsole(sock: number): number {
  return native().recvFd(sock);
}

export const nativeRuntime: ProcessRuntime = {
  outputPipe: () => native().pipe(),
  closeFd: (fd) => fs.closeSync(fd),
  async spawn(p: ProcessSpec) {
    const cgroup = new ContainerCgroup(`${supervisorCgroupName()}/${p.id}`, CONTROLLERS);
    cgroup.create();
    const out = p.tty ? hostDevNull() : p.outFd;
    const fds = new FdMap([p.stdinFd ?? hostDevNull(), out, out]);
    // -t: init makes the pty in the container's devpts and sends its master back on this socket.
    const consoleSock = p.tty ? native().socketPair() : null;
    let compiled;
    try {
      cgroup.apply(p.spec.linux?.resources);
      const consoleFd = consoleSock ? fds.add(consoleSock[1]) : undefined;
      compiled = compileSpec(p.spec, { fds, parentDeathSignal: os.constants.signals.SIGKILL, consoleFd, strictDestinations: p.strictDestinations, overlay: p.overlay });
    } catch (err) {
      if (consoleSock) consoleSock.forEach((fd) => fs.closeSync(fd));
      await cgroup.remove();
      throw err;
    }
    const plan = { ...compiled.plan, nice: p.nice, cpus: p.cpus ?? undefined };
    let init: InitProcess;
    try {
      init = await launchInit({ plan, fds, cloneFlags: compiled.cloneFlags, gate: { kind: 'pipe' }, waitParent: true, mountNames: compiled.mountNames });
    } catch (err) {
      if (consoleSock) fs.closeSync(consoleSock[0]);
      await cgroup.remove();
      throw err;
    } finally {
      for (const fd of compiled.openedFds) fs.closeSync(fd);
      if (consoleSock) fs.closeSync(consoleSock[1]); // init holds its end: EOF if it dies first
    }
    try {
      cgroup.join(init.pid);
    } catch (err) {
      init.abort();
      if (consoleSock) fs.closeSync(consoleSock[0]);
      throw err;
    }
    return new NativeContainer(init, cgroup, consoleSock ? consoleSock[0] : null);
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
