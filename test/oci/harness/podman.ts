// podman with a private configuration: containers.conf and storage.conf in the lane directory
// (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF), no network (netns "none"), cgroupfs, file locks and
// events, the runtime given by `--runtime PATH`, and a busybox image imported from ./rootfs-base.

import fs from 'node:fs';
import path from 'node:path';
import { run, runOk, type RunOptions, type RunResult } from './process.js';
import type { LaneEnv } from './lane-env.js';
import type { Runtime } from './runtimes.js';

export const IMAGE = 'localhost/bb:latest';

export interface PodmanSetup {
  env: Record<string, string>;
  globalArgs: string[];
  image: string;
  storageDriver: string;
}

function containersConf(dir: string, runtimes: Runtime[]): string {
  const basenames = [...new Set(runtimes.map((r) => path.basename(r.path)))];
  return `# Private to one run of the OCI lane (test/oci/lane.ts); nothing here is host-wide.
[containers]
netns = "none"
# root lacks CAP_SYS_RESOURCE here: the default hard limits cannot be raised.
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${dir}/events.log"
tmp_dir = "${dir}/tmp"
static_dir = "${dir}/root/libpod"
volume_path = "${dir}/root/volumes"
# the default shm lock segment (/dev/shm/libpod_lock) is shared by every podman on the host
lock_type = "file"
conmon_path = ["/usr/bin/conmon"]
# podman passes --log/--log-format=json, and shows the runtime's own error, only for these basenames
runtime_supports_json = ${JSON.stringify(basenames)}

[network]
network_backend = "cni"
network_config_dir = "${dir}/networks"
`;
}

function storageConf(dir: string, driver: string): string {
  return `[storage]
driver = "${driver}"
graphroot = "${dir}/root"
runroot = "${dir}/runroot"
`;
}

/**
 * Writes the configuration and imports the image. overlay first, vfs where overlay cannot mount.
 * The import runs in a private mount namespace with a tmpfs on /var/lib: containers/image keeps
 * its blob-info cache in /var/lib/containers/cache for root whatever the storage root is.
 */
export async function setupPodman(dir: string, rootfsBase: string, runtimes: Runtime[]): Promise<PodmanSetup> {
  fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'networks'), { recursive: true });
  const tar = path.join(dir, 'rootfs.tar');
  await runOk('tar', ['-C', rootfsBase, '-cf', tar, '.']);
  const env = {
    CONTAINERS_CONF: path.join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: path.join(dir, 'storage.conf'),
    TMPDIR: path.join(dir, 'tmp'),
  };
  fs.writeFileSync(env.CONTAINERS_CONF, containersConf(dir, runtimes));
  let lastError = '';
  for (const driver of ['overlay', 'vfs']) {
    fs.writeFileSync(env.CONTAINERS_STORAGE_CONF, storageConf(dir, driver));
    const r = await run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
      'mount -t tmpfs tmpfs /var/lib && exec podman import "$0" "$1"', tar, IMAGE],
    { env: { ...process.env, ...env }, timeoutMs: 120_000 });
    if (r.code === 0) return { env, globalArgs: [], image: IMAGE, storageDriver: driver };
    lastError = `${driver}: ${r.stderr.trim().split('\n').pop()}`;
    // the failed attempt's mounts were made in the unshared namespace and went with it
    for (const sub of ['root', 'runroot']) fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
  }
  throw new Error(`podman import failed with every storage driver (${lastError})`);
}

/** Removes every container and image of the lane's podman; the lane unmounts and deletes the rest. */
export async function teardownPodman(setup: PodmanSetup): Promise<string[]> {
  const notes: string[] = [];
  const opts: RunOptions = { env: { ...process.env, ...setup.env }, timeoutMs: 60_000 };
  const ids = (await run('podman', ['ps', '-a', '--format', '{{.ID}} {{.Names}} {{.Status}}'], opts)).stdout.split('\n').filter(Boolean);
  for (const line of ids) {
    notes.push(`podman: container left behind: ${line}`);
    const r = await run('podman', ['rm', '-f', '-t', '0', line.split(' ')[0]], opts);
    if (r.code !== 0) notes.push(`podman: rm ${line.split(' ')[0]}: ${r.stderr.trim()}`);
  }
  await run('podman', ['rmi', '-a', '-f'], opts);
  return notes;
}

/** podman for one suite and runtime (its own cgroup parent and list of container ids). */
export class Podman {
  /** Containers go under a cgroup parent of their own, so what is left behind can be found. */
  readonly cgroupParent: string;

  constructor(readonly env: LaneEnv, readonly rt: Runtime, readonly suite: string) {
    this.cgroupParent = `/${env.tag}-podman-${suite}-${rt.name}`;
  }

  private get globalArgs(): string[] {
    return ['--runtime', this.rt.path, ...this.env.podman.globalArgs];
  }

  /**
   * conmon 2.1.6 writes its cgroup v1 OOM marker (`oom`) into its working directory, which is
   * podman's: run podman in a scratch directory of the lane, never in the repository.
   */
  get cwd(): string {
    const dir = path.join(this.env.dir, 'podman', 'cwd');
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  podman(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run('podman', [...this.globalArgs, ...args], { timeoutMs: 60_000, cwd: this.cwd, ...opts, env: { ...process.env, ...this.env.podman.env, ...opts.env } });
  }

  /**
   * Flags for `podman run`/`create`: the container's name, a cidfile (so its id is known even
   * after `--rm`), our cgroup parent, and the scenario's name as an annotation.
   */
  runFlags(scenario: string, name: string): string[] {
    fs.mkdirSync(this.cidDir, { recursive: true });
    return ['--name', name, '--cidfile', path.join(this.cidDir, name), '--cgroup-parent', this.cgroupParent,
      '--annotation', `oci-lane.scenario=${scenario}`];
  }

  private get cidDir(): string {
    return path.join(this.env.dir, 'podman-cids', this.suite, this.rt.name);
  }

  /** Ids of every container this runtime's scenarios created so far (from the cidfiles). */
  containerIds(): string[] {
    if (!fs.existsSync(this.cidDir)) return [];
    return fs.readdirSync(this.cidDir).map((f) => fs.readFileSync(path.join(this.cidDir, f), 'utf8').trim()).filter(Boolean);
  }

  /** The full command line (environment included) for running podman under tmux. */
  commandLine(args: string[]): string[] {
    return ['env', '-C', this.cwd, ...Object.entries(this.env.podman.env).map(([k, v]) => `${k}=${v}`), 'podman', ...this.globalArgs, ...args];
  }

  /** The full id of a container. */
  async id(nameOrId: string): Promise<string> {
    const r = await this.podman(['inspect', '--format', '{{.Id}}', nameOrId]);
    if (r.code !== 0) throw new Error(`podman inspect ${nameOrId}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  }

  async inspect(nameOrId: string, format: string): Promise<string> {
    const r = await this.podman(['inspect', '--format', format, nameOrId]);
    if (r.code !== 0) throw new Error(`podman inspect ${nameOrId}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  }
}
