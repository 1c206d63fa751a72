// One CRI lane: a private containerd with the CRI plugin, its two runtime handlers, the stub CNI and
// the lane's images, all under one temporary directory; torn down afterwards whatever happens.
//
// Everything the lane creates outside its directory is recorded in files inside it (pods.jsonl), so
// an orderly stop, a forced destroy after a failed test and the sweep after a killed test process
// (sweep.ts) all find it: pod cgroups in every hierarchy, shim sockets, processes, mounts.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../src/paths.js';
import { until } from '../../support/process.js';
import { CriClient } from '../client/cri-client.js';
import { containerdConfig, type ContainerdPaths } from './containerd-config.js';
import {
  CNI_CACHE_DIR,
  cgroupDirs,
  cniCacheFiles,
  cgroupPids,
  mountsUnder,
  processesMentioning,
  processId,
  removeCgroupTree,
  removeEmptyParents,
  SHIM_SOCKET_DIR,
  shimSocketPath,
  stillRunning,
  type ProcessId,
} from './host.js';
import { CRI_NAMESPACE, HANDLERS, imageArchives, importImages, installStubCni, PAUSE_IMAGE, which } from './setup.js';

/** Lane directories are named so the sweep can find them: <tmp>/engine-cri-<suite>-XXXXXX. */
export const LANE_DIR_PREFIX = 'engine-cri-';
const START_MS = 60_000;
const STOP_MS = 20_000;

/** A pod the lane ran: enough to remove what it leaves outside the lane's directory. */
interface PodRecord {
  uid: string;
  cgroupParent: string;
  sandboxId?: string;
}

export class CriLane {
  readonly paths: ContainerdPaths;
  readonly logFile: string;
  private proc: ChildProcess | null = null;
  private procExit: Promise<void> = Promise.resolve();
  private clientInstance: CriClient | null = null;
  /** Processes seen during the tests (pause, apps, shims): all must be gone at the end. */
  private readonly seen: ProcessId[] = [];
  private readonly cgroupAncestorsBefore: Set<string>;
  private readonly shimDirBefore: boolean;
  private readonly cniCacheDirBefore: boolean;

  private constructor(readonly dir: string, readonly suite: string) {
    this.paths = {
      root: path.join(dir, 'root'),
      state: path.join(dir, 'state'),
      grpcSocket: path.join(dir, 'containerd.sock'),
      ttrpcSocket: path.join(dir, 'containerd.ttrpc.sock'),
      cniConfDir: path.join(dir, 'cni/net.d'),
      cniBinDir: path.join(dir, 'cni/bin'),
      optDir: path.join(dir, 'opt'),
      v1RuntimeRoot: path.join(dir, 'runtime-v1'),
    };
    this.logFile = path.join(dir, 'containerd.log');
    // Recorded (in a file, for the sweep) so the lane removes only the parents it created itself.
    const before = path.join(dir, 'host-before.json');
    if (!fs.existsSync(before)) {
      const state = {
        cgroupAncestors: ['/kubepods', '/kubepods/besteffort', '/kubepods/burstable'].filter((p) => cgroupDirs(p).length > 0),
        shimDir: fs.existsSync(SHIM_SOCKET_DIR),
        cniCacheDir: fs.existsSync(CNI_CACHE_DIR),
      };
      fs.writeFileSync(before, JSON.stringify(state) + '\n');
    }
    const state = JSON.parse(fs.readFileSync(before, 'utf8')) as { cgroupAncestors: string[]; shimDir: boolean; cniCacheDir: boolean };
    this.cgroupAncestorsBefore = new Set(state.cgroupAncestors);
    this.shimDirBefore = state.shimDir;
    this.cniCacheDirBefore = state.cniCacheDir;
  }

  /** The runtime root (BinaryName's --root is <this>/k8s.io) of a handler. */
  runtimeRoot(handler: string): string {
    return path.join(this.dir, 'runtime', handler);
  }

  get client(): CriClient {
    if (!this.clientInstance) throw new Error('the CRI lane is not running');
    return this.clientInstance;
  }

  /** Where kubelet would keep a pod's logs (/var/log/pods/<ns>_<name>_<uid>), inside the lane. */
  podLogDir(namespace: string, name: string, uid: string): string {
    return path.join(this.dir, 'pods', `${namespace}_${name}_${uid}`);
  }

  /** A bundle's config.json as the runtime got it (containerd's task state dir). */
  bundleConfig(id: string): { annotations?: Record<string, string>; linux?: Record<string, unknown>; process?: Record<string, unknown> } {
    const file = path.join(this.paths.state, 'io.containerd.runtime.v2.task', CRI_NAMESPACE, id, 'config.json');
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  }

  static async start(suite: string): Promise<CriLane> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${LANE_DIR_PREFIX}${suite}-`));
    const lane = new CriLane(dir, suite);
    fs.writeFileSync(path.join(dir, 'owner.pid'), `${process.pid}\n`);
    try {
      await lane.boot();
    } catch (e) {
      await lane.destroy();
      throw e;
    }
    return lane;
  }

  private async boot(): Promise<void> {
    const p = this.paths;
    for (const d of [p.root, p.state, p.optDir, p.v1RuntimeRoot, path.join(this.dir, 'tmp'), path.join(this.dir, 'pods')]) {
      fs.mkdirSync(d, { recursive: true });
    }
    installStubCni(p.cniBinDir, p.cniConfDir);
    const runtimes = HANDLERS.map((h) => ({ name: h.name, binary: h.binary, root: this.runtimeRoot(h.name) }));
    fs.writeFileSync(path.join(this.dir, 'config.toml'), containerdConfig(p, runtimes, PAUSE_IMAGE));
    // Built (or found) while containerd starts; awaited once it serves.
    const archives = imageArchives();
    archives.catch(() => {}); // a failure is reported where it is awaited, not as an unhandled rejection

    const log = fs.openSync(this.logFile, 'a');
    // TMPDIR: the runc shim writes exec process specs to the temp dir; keep them in the lane's.
    this.proc = spawn(which('containerd')!, ['--config', path.join(this.dir, 'config.toml')], {
      stdio: ['ignore', log, log],
      env: { ...process.env, TMPDIR: path.join(this.dir, 'tmp') },
    });
    fs.closeSync(log);
    fs.writeFileSync(path.join(this.dir, 'containerd.pid'), `${this.proc.pid}\n`);
    let exited = false;
    this.procExit = new Promise((resolve) => this.proc!.once('exit', () => resolve(void (exited = true))));
    this.clientInstance = new CriClient(p.grpcSocket, 30_000);
    const client = this.clientInstance;
    await until(
      'containerd to serve CRI with runtime and network ready',
      async () => {
        if (exited) throw new Error(`containerd exited at start:\n${this.logTail()}`);
        if (!fs.existsSync(p.grpcSocket)) return false;
        const s = await client.rt('Status', {}, 2_000).catch(() => null);
        return s?.status?.conditions.every((c) => c.status) ?? false;
      },
      START_MS,
      25,
    );
    await importImages(p.grpcSocket, await archives);
  }

  logTail(lines = 30): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no containerd log)';
    }
  }

  /** Called before RunPodSandbox, so even a pod that fails halfway is cleaned up. */
  recordPod(uid: string, cgroupParent: string): void {
    fs.appendFileSync(path.join(this.dir, 'pods.jsonl'), JSON.stringify({ uid, cgroupParent } satisfies PodRecord) + '\n');
  }

  recordSandbox(uid: string, sandboxId: string): void {
    fs.appendFileSync(path.join(this.dir, 'pods.jsonl'), JSON.stringify({ uid, cgroupParent: '', sandboxId }) + '\n');
  }

  /** Remembers a process (pause, app, shim) that must be gone once the lane has stopped. */
  recordProcess(pid: number, what: string): void {
    const id = processId(pid, what);
    if (id) this.seen.push(id);
  }

  private pods(): PodRecord[] {
    let text = '';
    try {
      text = fs.readFileSync(path.join(this.dir, 'pods.jsonl'), 'utf8');
    } catch {
      return [];
    }
    const byUid = new Map<string, PodRecord>();
    for (const line of text.split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as PodRecord;
      const prev = byUid.get(r.uid);
      byUid.set(r.uid, { uid: r.uid, cgroupParent: r.cgroupParent || prev?.cgroupParent || '', sandboxId: r.sandboxId ?? prev?.sandboxId });
    }
    return [...byUid.values()];
  }

  /**
   * The orderly end, as a node drains: every pod stopped and removed through CRI, containerd stopped,
   * then what kubelet itself owns removed (the pod cgroups). Returns what went wrong, if anything.
   */
  async stop(opts: { settleMs?: number } = {}): Promise<string[]> {
    const problems: string[] = [];
    if (this.clientInstance && this.containerdRunning()) {
      try {
        for (const sb of await this.client.listPodSandbox()) {
          await this.client.stopPodSandbox(sb.id).catch((e) => problems.push(`StopPodSandbox ${sb.id}: ${e.message}`));
          await this.client.removePodSandbox(sb.id).catch((e) => problems.push(`RemovePodSandbox ${sb.id}: ${e.message}`));
        }
      } catch (e) {
        problems.push(`ListPodSandbox: ${(e as Error).message}`);
      }
    }
    this.clientInstance?.close();
    this.clientInstance = null;
    await this.stopContainerd();
    // A container's last process may still be leaving its cgroup as the runtime returns: retry a while.
    await until('the pod cgroups to empty', () => this.removePodCgroups().length === 0, opts.settleMs ?? 10_000).catch(() => {});
    for (const dir of this.removePodCgroups()) problems.push(`cgroup ${dir} could not be removed (busy)`);
    // Directories containerd made on the host for the lane, if they were not there before and are empty
    // (another containerd on this host may be using them by now).
    if (!this.shimDirBefore) rmdirs([SHIM_SOCKET_DIR, path.dirname(SHIM_SOCKET_DIR)]);
    if (!this.cniCacheDirBefore) rmdirs([path.join(CNI_CACHE_DIR, 'results'), CNI_CACHE_DIR]);
    return problems;
  }

  private containerdRunning(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** containerd dies at once, its shims and pods left running (for the lane's own cleanup test). */
  async killContainerd(): Promise<void> {
    if (!this.containerdRunning()) return;
    this.proc!.kill('SIGKILL');
    await this.procExit;
  }

  private async stopContainerd(): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.containerdRunning()) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_MS);
    await this.procExit;
    clearTimeout(timer);
  }

  /** Removes every pod's cgroup directories, as kubelet does; returns those still busy. */
  private removePodCgroups(): string[] {
    const busy: string[] = [];
    for (const pod of this.pods()) {
      if (!pod.cgroupParent) continue;
      busy.push(...removeCgroupTree(pod.cgroupParent));
      removeEmptyParents(pod.cgroupParent, this.cgroupAncestorsBefore);
    }
    return busy;
  }

  /** What the lane left outside its directory, or inside it but alive (processes, mounts). Empty is clean. */
  leftovers(): string[] {
    const out: string[] = [];
    if (this.containerdRunning()) out.push(`containerd (pid ${this.proc!.pid}) is still running`);
    for (const p of processesMentioning(this.dir)) out.push(`process ${p.pid} still running: ${p.cmdline}`);
    for (const p of this.seen) if (stillRunning(p)) out.push(`${p.what} (pid ${p.pid}) still running`);
    for (const m of mountsUnder(this.dir)) out.push(`mount left at ${m}`);
    for (const pod of this.pods()) {
      if (pod.sandboxId) {
        const sock = shimSocketPath(this.paths.grpcSocket, CRI_NAMESPACE, pod.sandboxId);
        if (fs.existsSync(sock)) out.push(`shim socket left: ${sock}`);
        for (const f of cniCacheFiles(pod.sandboxId)) out.push(`CNI result cache left: ${f}`);
      }
      if (pod.cgroupParent) for (const d of cgroupDirs(pod.cgroupParent)) out.push(`pod cgroup left: ${d}`);
    }
    for (const h of HANDLERS) {
      const root = path.join(this.runtimeRoot(h.name), CRI_NAMESPACE);
      const states = fs.existsSync(root) ? fs.readdirSync(root) : [];
      for (const id of states) out.push(`${h.name} still has state for container ${id} in ${root}`);
    }
    return out;
  }

  /**
   * The forced end (idempotent), for when a test failed or the lane's owner died: an orderly stop if
   * containerd still runs, then the runtime's own delete --force for every container it still knows,
   * SIGKILL to what is left, lazy unmounts, pod cgroups and shim sockets removed, the directory removed.
   */
  async destroy(): Promise<void> {
    await this.stop({ settleMs: 0 }).catch(() => []); // what is still busy is killed below
    for (const h of HANDLERS) {
      const root = path.join(this.runtimeRoot(h.name), CRI_NAMESPACE);
      if (!fs.existsSync(root) || !fs.existsSync(h.binary)) continue;
      for (const id of fs.readdirSync(root)) {
        try {
          execFileSync(h.binary, ['--root', root, 'delete', '--force', id], { stdio: 'ignore', timeout: 20_000 });
        } catch {
          /* the kills below still apply */
        }
      }
    }
    const victims = processesMentioning(this.dir).map((p) => p.pid);
    for (const pod of this.pods()) if (pod.cgroupParent) for (const d of cgroupDirs(pod.cgroupParent)) victims.push(...cgroupPids(d));
    for (const pid of victims) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (victims.length) {
      await until('killed lane processes to be gone', () => victims.every((pid) => !fs.existsSync(`/proc/${pid}/stat`) || /\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))), 10_000).catch(() => {});
    }
    for (const m of mountsUnder(this.dir)) {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
      } catch {
        /* already gone with its parent */
      }
    }
    this.removePodCgroups();
    for (const pod of this.pods()) {
      if (!pod.sandboxId) continue;
      fs.rmSync(shimSocketPath(this.paths.grpcSocket, CRI_NAMESPACE, pod.sandboxId), { force: true });
      for (const f of cniCacheFiles(pod.sandboxId)) fs.rmSync(f, { force: true });
    }
    if (!this.cniCacheDirBefore) rmdirs([path.join(CNI_CACHE_DIR, 'results'), CNI_CACHE_DIR]);
    this.keepLog();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** containerd's log survives the lane under test-results/, for a failure's post-mortem. */
  private keepLog(): void {
    try {
      const dest = path.join(REPO_ROOT, 'test-results', `cri-${this.suite}.containerd.log`);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(this.logFile, dest);
    } catch {
      /* no log yet */
    }
  }

  /** A lane directory whose owner is gone (see sweep.ts): adopted only to be destroyed. */
  static adopt(dir: string): CriLane {
    const suite = path.basename(dir).slice(LANE_DIR_PREFIX.length).replace(/-[^-]*$/, '');
    const lane = new CriLane(dir, suite);
    let pid = 0;
    try {
      pid = Number(fs.readFileSync(path.join(dir, 'containerd.pid'), 'utf8').trim());
    } catch {
      /* it never started */
    }
    if (pid && processesMentioning(dir).some((p) => p.pid === pid)) {
      try {
        process.kill(pid, 'SIGKILL'); // no orderly stop without its owner's state: the forced path does the rest
      } catch {
        /* gone */
      }
    }
    return lane;
  }
}

/** Removes each directory in turn while it is empty; stops at the first that is not (or is gone). */
function rmdirs(dirs: string[]): void {
  try {
    for (const d of dirs) fs.rmdirSync(d);
  } catch {
    /* not empty, or gone */
  }
}
