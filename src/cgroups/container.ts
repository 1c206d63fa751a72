// One container's cgroups: made (with missing parents), given the spec's resources, joined by its
// init, frozen and thawed (pause), listed, and removed. On cgroup v1 there is one directory per
// hierarchy; on v2 one directory. Errors name the file and the value, in one line.
//
// Used by engine-oci for linux.cgroupsPath + linux.resources, and by the supervisor for the
// devices and pids controllers of `engine start` (its memory enforcer keeps the memory controller).

import fs from 'node:fs';
import path from 'node:path';
import { invalid } from '../errors.js';
import { native } from '../native/addon.js';
import { deviceFilterProgram } from './device-filter.js';
import type { Resources } from '../spec/config.js';
import { devicesCgroupLines } from '../security/devices-cgroup.js';
import { cgroupLayout, dirsFor } from './hierarchies.js';
import { procsOf, removeCgroup } from './fs.js';

export interface CgroupDir {
  controllers: string[];
  dir: string;
}

function write(dir: string, file: string, value: string | number): void {
  try {
    fs.writeFileSync(path.join(dir, file), String(value));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalid(`cgroup ${path.join(dir, file)} = ${value}: ${code ?? (err as Error).message}`);
  }
}

function read(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8').trim();
}

/** cpu.shares (2..262144) to cgroup v2's cpu.weight (1..10000), as runc converts it. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return Math.round(1 + ((shares - 2) * 9999) / 262142);
}

export class ContainerCgroup {
  readonly version: 1 | 2;
  readonly dirs: CgroupDir[];

  /**
   * cgPath: absolute (from each hierarchy's root) or relative (to this process's own cgroups).
   * controllers: on v1, only the hierarchies holding one of these (default: all).
   */
  constructor(
    readonly cgPath: string,
    controllers?: string[],
  ) {
    const layout = cgroupLayout();
    this.version = layout.version;
    const all = dirsFor(cgPath);
    this.dirs = controllers && layout.version === 1 ? all.filter((d) => d.controllers.some((c) => controllers.includes(c))) : all;
  }

  dirOf(controller: string): string | undefined {
    return this.dirs.find((d) => d.controllers.includes(controller))?.dir;
  }

  /** Makes the directories (and missing parents). */
  create(): void {
    for (const { controllers, dir } of this.dirs) {
      if (this.version === 1 && controllers.includes('cpuset')) this.mkdirCpuset(dir);
      else if (this.version === 2) this.mkdirV2(dir);
      else fs.mkdirSync(dir, { recursive: true });
    }
  }

  /** A v1 cpuset cgroup starts with no CPUs and no memory nodes: each new level copies its parent's. */
  private mkdirCpuset(dir: string): void {
    const missing: string[] = [];
    for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
    for (const d of missing) {
      fs.mkdirSync(d);
      for (const f of ['cpuset.cpus', 'cpuset.mems']) if (!read(d, f)) write(d, f, read(path.dirname(d), f));
    }
  }

  /** v2: the controllers must be enabled in every parent's subtree_control, down to the leaf. */
  private mkdirV2(dir: string): void {
    const layout = cgroupLayout();
    if (layout.version !== 2) return;
    const missing: string[] = [];
    for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
    for (const d of [...missing]) {
      const parent = path.dirname(d);
      let available: string[] = [];
      try {
        available = read(parent, 'cgroup.controllers').split(/\s+/).filter(Boolean);
      } catch {
        /* the root may not say */
      }
      const want = available.filter((c) => ['cpu', 'cpuset', 'io', 'memory', 'pids', 'hugetlb'].includes(c));
      if (want.length) {
        try {
          fs.writeFileSync(path.join(parent, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
        } catch {
          /* a parent with processes of its own cannot delegate (no internal processes): left as is */
        }
      }
      fs.mkdirSync(d);
    }
  }

  /** Applies linux.resources. Throws EngineError(invalid_argument) naming the file that refused. */
  apply(r: Resources | undefined): void {
    if (!r) return;
    if (this.version === 1) this.applyV1(r);
    else this.applyV2(r);
  }

  private applyV1(r: Resources): void {
    const mem = this.dirOf('memory');
    if (mem && r.memory) {
      const m = r.memory;
      if (m.limit !== undefined) {
        // memsw must stay >= limit: lower the limit first, raise memsw first
        const memsw = fs.existsSync(path.join(mem, 'memory.memsw.limit_in_bytes'));
        if (m.swap !== undefined && memsw && m.swap > m.limit) {
          write(mem, 'memory.limit_in_bytes', m.limit);
          write(mem, 'memory.memsw.limit_in_bytes', m.swap);
        } else {
          write(mem, 'memory.limit_in_bytes', m.limit);
          if (memsw && m.swap !== undefined) write(mem, 'memory.memsw.limit_in_bytes', m.swap);
        }
      }
      if (m.reservation !== undefined) write(mem, 'memory.soft_limit_in_bytes', m.reservation);
      if (m.swappiness !== undefined) write(mem, 'memory.swappiness', m.swappiness);
      if (m.disableOOMKiller) write(mem, 'memory.oom_control', 1);
    }
    const cpu = this.dirOf('cpu');
    if (cpu && r.cpu) {
      const c = r.cpu;
      if (c.shares !== undefined && c.shares !== 0) write(cpu, 'cpu.shares', c.shares);
      if (c.period !== undefined && c.period !== 0) write(cpu, 'cpu.cfs_period_us', c.period);
      if (c.quota !== undefined && c.quota !== 0) write(cpu, 'cpu.cfs_quota_us', c.quota);
      if (c.realtimePeriod) write(cpu, 'cpu.rt_period_us', c.realtimePeriod);
      if (c.realtimeRuntime) write(cpu, 'cpu.rt_runtime_us', c.realtimeRuntime);
    }
    const cpuset = this.dirOf('cpuset');
    if (cpuset && r.cpu) {
      if (r.cpu.cpus) write(cpuset, 'cpuset.cpus', r.cpu.cpus);
      if (r.cpu.mems) write(cpuset, 'cpuset.mems', r.cpu.mems);
    }
    const pids = this.dirOf('pids');
    if (pids && r.pids) write(pids, 'pids.max', r.pids.limit > 0 ? r.pids.limit : 'max');
    const devices = this.dirOf('devices');
    if (devices && r.devices) for (const l of devicesCgroupLines(r.devices)) write(devices, l.file, l.line);
    const blkio = this.dirOf('blkio');
    if (blkio && r.blockIO?.weight !== undefined) write(blkio, 'blkio.weight', r.blockIO.weight);
  }

  private applyV2(r: Resources): void {
    const dir = this.dirs[0].dir;
    if (r.memory) {
      const m = r.memory;
      if (m.limit !== undefined) write(dir, 'memory.max', m.limit > 0 ? m.limit : 'max');
      if (m.swap !== undefined && fs.existsSync(path.join(dir, 'memory.swap.max'))) {
        // the spec's swap is memory+swap; v2's swap.max is swap alone
        write(dir, 'memory.swap.max', m.swap < 0 ? 'max' : Math.max(0, m.swap - (m.limit ?? 0)));
      }
      if (m.reservation !== undefined) write(dir, 'memory.low', m.reservation);
    }
    if (r.cpu) {
      const c = r.cpu;
      if (c.shares) write(dir, 'cpu.weight', sharesToWeight(c.shares));
      if (c.quota !== undefined || c.period !== undefined) write(dir, 'cpu.max', `${c.quota && c.quota > 0 ? c.quota : 'max'} ${c.period || 100000}`);
      if (c.cpus) write(dir, 'cpuset.cpus', c.cpus);
      if (c.mems) write(dir, 'cpuset.mems', c.mems);
    }
    if (r.pids) write(dir, 'pids.max', r.pids.limit > 0 ? r.pids.limit : 'max');
    if (r.unified) for (const [k, v] of Object.entries(r.unified)) write(dir, k, v);
    if (r.devices?.length) {
      try {
        native().attachDeviceFilter(dir, deviceFilterProgram(r.devices));
      } catch (err) {
        throw invalid(`${dir}: the device filter (BPF) could not be attached: ${(err as Error).message}`);
      }
    }
  }

  /** Puts a process in every directory. */
  join(pid: number): void {
    for (const { dir } of this.dirs) write(dir, 'cgroup.procs', pid);
  }

  /** Every process in the container's cgroups. */
  procs(): number[] {
    const all = new Set<number>();
    for (const { dir } of this.dirs) for (const p of procsOf(dir)) all.add(p);
    return [...all];
  }

  /** Freezes (pause): resolves once the kernel says every task is frozen. */
  async freeze(timeoutMs = 5000): Promise<void> {
    await this.setFrozen(true, timeoutMs);
  }

  async thaw(timeoutMs = 5000): Promise<void> {
    await this.setFrozen(false, timeoutMs);
  }

  frozen(): boolean {
    try {
      if (this.version === 2) return /^frozen 1$/m.test(read(this.dirs[0].dir, 'cgroup.events'));
      const f = this.dirOf('freezer');
      return f ? read(f, 'freezer.state') === 'FROZEN' : false;
    } catch {
      return false;
    }
  }

  private async setFrozen(on: boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    if (this.version === 2) write(this.dirs[0].dir, 'cgroup.freeze', on ? 1 : 0);
    else {
      const f = this.dirOf('freezer');
      if (!f) throw invalid('this host has no freezer cgroup: pause and resume are not possible');
      write(f, 'freezer.state', on ? 'FROZEN' : 'THAWED');
    }
    while (this.frozen() !== on) {
      if (Date.now() > deadline) throw invalid(`the container did not ${on ? 'freeze' : 'thaw'} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Removes the container's own directories (never the parents: a pod's are kubelet's). */
  async remove(timeoutMs = 5000): Promise<boolean> {
    let ok = true;
    for (const { dir } of this.dirs) ok = (await removeCgroup(dir, { timeoutMs })) && ok;
    return ok;
  }
}
