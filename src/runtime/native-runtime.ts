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
  ) {}
  get pid() { return this.init.pid; }
  get ready() { return this.init.ready; }
  get exited() { return this.init.exited; }
  release() { this.init.release(); }
  go() { return this.init.go(); }
  abort() { this.init.abort(); }
  signal(name: NodeJS.Signals) { return this.init.signal(name); }
  async cleanup() {
    await this.cgroup.remove();
  }
}

export const nativeRuntime: ProcessRuntime = {
  outputPipe: () => native().pipe(),
  closeFd: (fd) => fs.closeSync(fd),
  async spawn(p: ProcessSpec) {
    const cgroup = new ContainerCgroup(`${supervisorCgroupName()}/${p.id}`, CONTROLLERS);
    cgroup.create();
    const fds = new FdMap([hostDevNull(), p.outFd, p.outFd]);
    let compiled;
    try {
      cgroup.apply(p.spec.linux?.resources);
      compiled = compileSpec(p.spec, { fds, parentDeathSignal: os.constants.signals.SIGKILL, strictDestinations: p.strictDestinations, overlay: p.overlay });
    } catch (err) {
      await cgroup.remove();
      throw err;
    }
    const plan = { ...compiled.plan, nice: p.nice, cpus: p.cpus ?? undefined };
    let init: InitProcess;
    try {
      init = await launchInit({ plan, fds, cloneFlags: compiled.cloneFlags, gate: { kind: 'pipe' }, waitParent: true, mountNames: compiled.mountNames });
    } catch (err) {
      await cgroup.remove();
      throw err;
    } finally {
      for (const fd of compiled.openedFds) fs.closeSync(fd);
    }
    try {
      cgroup.join(init.pid);
    } catch (err) {
      init.abort();
      throw err;
    }
    return new NativeContainer(init, cgroup);
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
