// Pods and containers as kubelet asks for them over CRI: the same namespace modes, cgroup parents,
// seccomp profile, masked and read-only paths, log layout and stop/remove order.

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { until } from '../../support/process.js';
import type { ContainerConfig, ContainerStatus, PodSandboxConfig } from '../client/cri-client.js';
import type { CriLane } from './lane.js';
import { BUSYBOX_IMAGE } from './setup.js';

/** kubelet's defaults for a container that does not ask for procMount: Unmasked (k8s securitycontext). */
export const KUBELET_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
];
export const KUBELET_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const POD_NAMESPACE = 'engine-lane';

export interface PodOptions {
  name: string;
  handler: string;
  /** hostNetwork: true (namespace mode NODE); otherwise a pod network through the stub CNI. */
  hostNetwork?: boolean;
  annotations?: Record<string, string>;
  /** The pod's QoS class picks its cgroup parent, as kubelet's cgroupfs driver does. */
  qos?: 'besteffort' | 'burstable';
}

export interface ContainerOptions {
  name: string;
  command: string[];
  annotations?: Record<string, string>;
  memoryLimitBytes?: number;
}

export class Pod {
  readonly logDir: string;
  private constructor(
    readonly lane: CriLane,
    readonly id: string,
    readonly uid: string,
    readonly config: PodSandboxConfig,
  ) {
    this.logDir = config.logDirectory!;
  }

  /** RunPodSandbox as kubelet does it; the pod is recorded first so cleanup finds it whatever happens. */
  static async run(lane: CriLane, o: PodOptions): Promise<Pod> {
    const uid = randomUUID();
    const qos = o.qos ?? 'besteffort';
    const cgroupParent = `/kubepods/${qos}/pod${uid}`;
    const logDirectory = lane.podLogDir(POD_NAMESPACE, o.name, uid);
    fs.mkdirSync(logDirectory, { recursive: true });
    const config: PodSandboxConfig = {
      metadata: { name: o.name, uid, namespace: POD_NAMESPACE, attempt: 0 },
      // kubelet leaves the hostname to the node's for host-network pods.
      hostname: o.hostNetwork ? '' : o.name,
      logDirectory,
      labels: { 'io.kubernetes.pod.name': o.name, 'io.kubernetes.pod.namespace': POD_NAMESPACE, 'io.kubernetes.pod.uid': uid },
      annotations: o.annotations ?? {},
      linux: {
        cgroupParent,
        securityContext: {
          namespaceOptions: { network: o.hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'POD' },
          seccomp: { profileType: 'RuntimeDefault' },
        },
      },
    };
    lane.recordPod(uid, cgroupParent);
    const id = await lane.client.runPodSandbox(config, o.handler);
    lane.recordSandbox(uid, id);
    const pod = new Pod(lane, id, uid, config);
    lane.recordProcess(await pod.pausePid(), `pause of pod ${o.name}`);
    return pod;
  }

  get hostNetwork(): boolean {
    return this.config.linux?.securityContext?.namespaceOptions?.network === 'NODE';
  }

  /** The sandbox (pause) process's host pid, from containerd's verbose status. */
  async pausePid(): Promise<number> {
    const r = await this.lane.client.podSandboxStatus(this.id, true);
    return JSON.parse(r.info.info ?? '{}').pid as number;
  }

  containerConfig(o: ContainerOptions): ContainerConfig {
    const ns = this.config.linux!.securityContext!.namespaceOptions!;
    return {
      metadata: { name: o.name, attempt: 0 },
      image: { image: BUSYBOX_IMAGE },
      command: o.command,
      logPath: `${o.name}/0.log`,
      labels: { 'io.kubernetes.container.name': o.name, 'io.kubernetes.pod.uid': this.uid },
      annotations: o.annotations ?? {},
      linux: {
        resources: o.memoryLimitBytes ? { memoryLimitInBytes: o.memoryLimitBytes } : {},
        securityContext: {
          namespaceOptions: { network: ns.network, pid: 'CONTAINER', ipc: ns.ipc },
          seccomp: { profileType: 'RuntimeDefault' },
          maskedPaths: KUBELET_MASKED_PATHS,
          readonlyPaths: KUBELET_READONLY_PATHS,
        },
      },
    };
  }

  async createContainer(o: ContainerOptions): Promise<string> {
    return this.lane.client.createContainer(this.id, this.containerConfig(o), this.config);
  }

  /** CreateContainer + StartContainer; the container's init pid is recorded for the leftover check. */
  async startContainer(o: ContainerOptions): Promise<string> {
    const id = await this.createContainer(o);
    await this.lane.client.startContainer(id);
    const info = (await this.lane.client.containerStatus(id, true)).info.info;
    const pid = JSON.parse(info ?? '{}').pid as number | undefined;
    if (pid) this.lane.recordProcess(pid, `container ${o.name}`);
    return id;
  }

  /** The container's CRI log file (<pod log dir>/<name>/0.log). */
  logFile(name: string): string {
    return path.join(this.logDir, name, '0.log');
  }

  /** Waits until the container's log holds a line whose content matches re; returns the parsed log. */
  async waitForLog(name: string, re: RegExp, timeoutMs = 20_000): Promise<CriLogLine[]> {
    return until(`a line matching ${re} in ${name}'s CRI log`, () => {
      const lines = readCriLog(this.logFile(name));
      return lines.some((l) => re.test(l.content)) ? lines : null;
    }, timeoutMs);
  }

  /** Stops and removes the pod the way kubelet does: containers stopped, sandbox stopped, removed. */
  async remove(): Promise<void> {
    const c = this.lane.client;
    for (const ctr of await c.listContainers({ podSandboxId: this.id })) {
      if (ctr.state === 'CONTAINER_RUNNING') await c.stopContainer(ctr.id, 0);
      await c.removeContainer(ctr.id);
    }
    await c.stopPodSandbox(this.id);
    await c.removePodSandbox(this.id);
  }
}

/** Waits until a container has exited and, if wanted, until containerd has settled its reason. */
export async function waitForExit(lane: CriLane, id: string, opts: { reason?: string; timeoutMs?: number } = {}): Promise<ContainerStatus> {
  return until(`container ${id.slice(0, 12)} to exit${opts.reason ? ` with reason ${opts.reason}` : ''}`, async () => {
    const s = (await lane.client.containerStatus(id)).status;
    if (s?.state !== 'CONTAINER_EXITED') return null;
    return !opts.reason || s.reason === opts.reason ? s : null;
  }, opts.timeoutMs ?? 30_000, 50);
}

/** One line of a CRI log file: "<RFC 3339 nano time> <stdout|stderr> <F|P> <content>". */
export interface CriLogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  tag: 'F' | 'P';
  content: string;
}

export const CRI_LOG_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) (F|P) (.*)$/;

/** Parses a CRI log file; a line that does not have the format throws (the format is what is tested). */
export function readCriLog(file: string): CriLogLine[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  // The last line may be mid-write: only complete lines count.
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = l.match(CRI_LOG_LINE);
      if (!m) throw new Error(`not a CRI log line in ${file}: ${JSON.stringify(l)}`);
      return { time: m[1]!, stream: m[2] as 'stdout' | 'stderr', tag: m[3] as 'F' | 'P', content: m[4]! };
    });
}
