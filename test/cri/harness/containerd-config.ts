// A private containerd configuration with the CRI plugin on, as a Kubernetes node would register
// runtimes with it, but with every path in the lane's own directory so nothing host-wide changes.

export interface RuntimeEntry {
  /** The CRI runtime handler name (a RuntimeClass's `handler`). */
  name: string;
  /** The OCI runtime the runc shim calls (the shim's BinaryName option). */
  binary: string;
  /** The runtime's state root; the runtime gets `--root <root>/k8s.io`. */
  root: string;
}

export interface ContainerdPaths {
  root: string;
  state: string;
  grpcSocket: string;
  ttrpcSocket: string;
  cniConfDir: string;
  cniBinDir: string;
  /** containerd's "opt" plugin would otherwise create /opt/containerd. */
  optDir: string;
  /** The v1 runtime plugin must stay enabled (CRI depends on it) but gets its own root. */
  v1RuntimeRoot: string;
}

/** Annotation prefixes let through to the runtime's config.json: engine-oci reads `engine.*`. */
export const LET_THROUGH_ANNOTATIONS = ['engine.*'];

const q = (s: string) => JSON.stringify(s); // TOML basic strings escape like JSON strings

export function containerdConfig(p: ContainerdPaths, runtimes: RuntimeEntry[], sandboxImage: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  const lines = [
    'version = 2',
    `root = ${q(p.root)}`,
    `state = ${q(p.state)}`,
    // Snapshotters this lane does not use: less start-up, nothing probed on the host's disks.
    'disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]',
    '',
    '[grpc]',
    `  address = ${q(p.grpcSocket)}`,
    '[ttrpc]',
    `  address = ${q(p.ttrpcSocket)}`,
    '[debug]',
    '  address = ""',
    '[metrics]',
    '  address = ""',
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(p.optDir)}`,
    '[plugins."io.containerd.runtime.v1.linux"]',
    `  runtime_root = ${q(p.v1RuntimeRoot)}`,
    '',
    `[${cri}]`,
    `  sandbox_image = ${q(sandboxImage)}`,
    // The sandbox asks for oomScoreAdj -998; root here lacks CAP_SYS_RESOURCE to lower it.
    '  restrict_oom_score_adj = true',
    // Pod network namespaces are bind-mounted under the lane's state dir, not /run/netns.
    '  netns_mounts_under_state_dir = true',
    '  disable_tcp_service = true',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    '  enable_selinux = false',
    '  systemd_cgroup = false',
    `  [${cri}.cni]`,
    `    bin_dir = ${q(p.cniBinDir)}`,
    `    conf_dir = ${q(p.cniConfDir)}`,
    '    max_conf_num = 1',
    `  [${cri}.containerd]`,
    `    default_runtime_name = ${q(runtimes[0]!.name)}`,
    '    snapshotter = "overlayfs"',
  ];
  for (const r of runtimes) {
    lines.push(
      `    [${cri}.containerd.runtimes.${r.name}]`,
      '      runtime_type = "io.containerd.runc.v2"',
      `      pod_annotations = ${JSON.stringify(LET_THROUGH_ANNOTATIONS)}`,
      `      container_annotations = ${JSON.stringify(LET_THROUGH_ANNOTATIONS)}`,
      `      [${cri}.containerd.runtimes.${r.name}.options]`,
      `        BinaryName = ${q(r.binary)}`,
      `        Root = ${q(r.root)}`,
      // cgroupfs paths (/kubepods/...): this host runs no systemd.
      '        SystemdCgroup = false',
    );
  }
  return lines.join('\n') + '\n';
}
