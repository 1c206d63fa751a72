// A small typed CRI client (runtime.v1) over a UNIX socket: the calls kubelet makes, as promises with
// a deadline each. Field names are the proto's in camelCase (proto-loader's default); int64 values
// come back as numbers, enums as their names, absent fields as their defaults.

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as T from './types.js';

export type * from './types.js';

const PROTO = path.join(path.dirname(fileURLToPath(import.meta.url)), '../proto/api.proto');

/** The RPCs of each service this client offers, request and response types. */
interface RuntimeRpcs {
  Version: [T.VersionRequest, T.VersionResponse];
  Status: [T.StatusRequest, T.StatusResponse];
  RunPodSandbox: [T.RunPodSandboxRequest, { podSandboxId: string }];
  StopPodSandbox: [{ podSandboxId: string }, object];
  RemovePodSandbox: [{ podSandboxId: string }, object];
  PodSandboxStatus: [{ podSandboxId: string; verbose?: boolean }, T.PodSandboxStatusResponse];
  ListPodSandbox: [{ filter?: T.PodSandboxFilter }, { items: T.PodSandbox[] }];
  CreateContainer: [T.CreateContainerRequest, { containerId: string }];
  StartContainer: [{ containerId: string }, object];
  StopContainer: [{ containerId: string; timeout?: number }, object];
  RemoveContainer: [{ containerId: string }, object];
  ListContainers: [{ filter?: T.ContainerFilter }, { containers: T.Container[] }];
  ContainerStatus: [{ containerId: string; verbose?: boolean }, T.ContainerStatusResponse];
  ExecSync: [{ containerId: string; cmd: string[]; timeout?: number }, T.ExecSyncResponse];
}
interface ImageRpcs {
  ListImages: [{ filter?: { image?: T.ImageSpec } }, { images: T.Image[] }];
  ImageStatus: [{ image: T.ImageSpec; verbose?: boolean }, { image: T.Image | null; info: Record<string, string> }];
}

type Unary = (req: unknown, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

let loaded: grpc.GrpcObject | undefined;
function runtimeV1(): grpc.GrpcObject {
  if (!loaded) {
    const def = protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, enums: String, defaults: true, arrays: true, objects: false });
    loaded = (grpc.loadPackageDefinition(def).runtime as grpc.GrpcObject).v1 as grpc.GrpcObject;
  }
  return loaded;
}

/** A failed CRI call: the RPC's name, the gRPC status and containerd's message. */
export class CriError extends Error {
  constructor(
    readonly rpc: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`CRI ${rpc}: ${grpc.status[code] ?? code}: ${details}`);
    this.name = 'CriError';
  }
}

export class CriClient {
  private readonly runtime: grpc.Client;
  private readonly images: grpc.Client;

  /** socket: the CRI server's UNIX socket path. deadlineMs: the default deadline of each call. */
  constructor(
    socket: string,
    private readonly deadlineMs = 60_000,
  ) {
    const v1 = runtimeV1();
    const target = `unix://${socket}`;
    const creds = grpc.credentials.createInsecure();
    const Runtime = v1.RuntimeService as grpc.ServiceClientConstructor;
    const Images = v1.ImageService as grpc.ServiceClientConstructor;
    this.runtime = new Runtime(target, creds);
    // One channel for both services, as kubelet does when they share an endpoint.
    this.images = new Images(target, creds, { channelOverride: this.runtime.getChannel() });
  }

  close(): void {
    this.runtime.close();
  }

  private call<R>(client: grpc.Client, rpc: string, req: unknown, deadlineMs?: number): Promise<R> {
    const fn = (client as unknown as Record<string, Unary>)[rpc]!.bind(client);
    const deadline = Date.now() + (deadlineMs ?? this.deadlineMs);
    return new Promise((resolve, reject) => {
      fn(req, new grpc.Metadata(), { deadline }, (err, res) => {
        if (err) reject(new CriError(rpc, err.code, err.details));
        else resolve(res as R);
      });
    });
  }

  rt<K extends keyof RuntimeRpcs>(rpc: K, req: RuntimeRpcs[K][0], deadlineMs?: number): Promise<RuntimeRpcs[K][1]> {
    return this.call(this.runtime, rpc, req, deadlineMs);
  }

  img<K extends keyof ImageRpcs>(rpc: K, req: ImageRpcs[K][0], deadlineMs?: number): Promise<ImageRpcs[K][1]> {
    return this.call(this.images, rpc, req, deadlineMs);
  }

  // The calls the tests make most, named as kubelet's code names them.

  version(): Promise<T.VersionResponse> {
    return this.rt('Version', { version: 'v1' });
  }
  async runPodSandbox(config: T.PodSandboxConfig, runtimeHandler: string): Promise<string> {
    return (await this.rt('RunPodSandbox', { config, runtimeHandler })).podSandboxId;
  }
  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.rt('StopPodSandbox', { podSandboxId });
  }
  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.rt('RemovePodSandbox', { podSandboxId });
  }
  podSandboxStatus(podSandboxId: string, verbose = false): Promise<T.PodSandboxStatusResponse> {
    return this.rt('PodSandboxStatus', { podSandboxId, verbose });
  }
  async listPodSandbox(filter?: T.PodSandboxFilter): Promise<T.PodSandbox[]> {
    return (await this.rt('ListPodSandbox', { filter })).items;
  }
  async createContainer(podSandboxId: string, config: T.ContainerConfig, sandboxConfig: T.PodSandboxConfig): Promise<string> {
    return (await this.rt('CreateContainer', { podSandboxId, config, sandboxConfig })).containerId;
  }
  async startContainer(containerId: string): Promise<void> {
    await this.rt('StartContainer', { containerId });
  }
  /** timeoutS: the grace period before SIGKILL; the call's own deadline is longer by 30 s. */
  async stopContainer(containerId: string, timeoutS: number): Promise<void> {
    await this.rt('StopContainer', { containerId, timeout: timeoutS }, timeoutS * 1000 + 30_000);
  }
  async removeContainer(containerId: string): Promise<void> {
    await this.rt('RemoveContainer', { containerId });
  }
  async listContainers(filter?: T.ContainerFilter): Promise<T.Container[]> {
    return (await this.rt('ListContainers', { filter })).containers;
  }
  containerStatus(containerId: string, verbose = false): Promise<T.ContainerStatusResponse> {
    return this.rt('ContainerStatus', { containerId, verbose });
  }
  /** Runs cmd in the container; stdout and stderr come back as text. timeoutS 0: no limit. */
  async execSync(containerId: string, cmd: string[], timeoutS = 30): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const r = await this.rt('ExecSync', { containerId, cmd, timeout: timeoutS }, (timeoutS || 60) * 1000 + 30_000);
    return { stdout: Buffer.from(r.stdout).toString('utf8'), stderr: Buffer.from(r.stderr).toString('utf8'), exitCode: r.exitCode };
  }
  async imageStatus(image: string): Promise<T.Image | null> {
    return (await this.img('ImageStatus', { image: { image } })).image;
  }
  async listImages(): Promise<T.Image[]> {
    return (await this.img('ListImages', {})).images;
  }
}
