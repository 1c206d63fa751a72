// What the CRI lane needs before containerd starts: its tools, the two runtime handlers, the stub CNI
// plugin and the two images made from this repository (no registry).

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../../src/paths.js';

const execFileP = promisify(execFile);

export const PAUSE_IMAGE = 'localhost/engine-pause:1';
export const BUSYBOX_IMAGE = 'localhost/engine-busybox:1';
/** The containerd namespace the CRI plugin works in. */
export const CRI_NAMESPACE = 'k8s.io';
export const ROOTFS_BASE = path.join(REPO_ROOT, 'rootfs-base');
export const PAUSE_BIN = path.join(REPO_ROOT, 'workloads/bin/pause');
export const ENGINE_OCI = path.join(REPO_ROOT, 'engine-oci');
const STUB_CNI = path.join(REPO_ROOT, 'test/cri/cni/engine-stub');
const OCI_IMAGE_SCRIPT = path.join(REPO_ROOT, 'scripts/oci-image.sh');

export function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin', '/bin'])) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** Why the lane cannot run here, or null. Decided once, at load time, so skips are reported as skips. */
export const laneSkipReason: string | null = (() => {
  if (process.getuid?.() !== 0) return 'needs root (containerd, namespaces, cgroups)';
  for (const tool of ['containerd', 'ctr', 'containerd-shim-runc-v2']) {
    if (!which(tool)) return `${tool} is not installed (make test-lane-cri installs it)`;
  }
  if (!which('runc')) return 'runc is not installed (make test-lane-cri installs it)';
  for (const tool of ['jq', 'sha256sum', 'tar']) if (!which(tool)) return `${tool} is not installed`;
  if (!fs.existsSync(path.join(ROOTFS_BASE, 'bin/busybox'))) return 'needs ./rootfs-base (run make)';
  if (!fs.existsSync(PAUSE_BIN)) return 'needs workloads/bin/pause (run make)';
  return null;
})();

export interface Handler {
  /** The CRI runtime handler (containerd runtime entry, RuntimeClass handler). */
  name: 'runc' | 'engine';
  binary: string;
  /** Why this handler's tests skip, or null. */
  skip: string | null;
}

/** runc, the reference, first; then engine-oci. Both are always registered with containerd. */
export const HANDLERS: Handler[] = [
  { name: 'runc', binary: which('runc') ?? '/usr/sbin/runc', skip: laneSkipReason },
  {
    name: 'engine',
    binary: ENGINE_OCI,
    skip: laneSkipReason ?? (fs.existsSync(ENGINE_OCI) ? null : 'engine-oci is not built yet'),
  },
];

/** The stub CNI plugin as the pod network, and as the loopback plugin containerd adds to every pod. */
export function installStubCni(binDir: string, confDir: string): void {
  fs.mkdirSync(binDir, { recursive: true });
  fs.mkdirSync(confDir, { recursive: true });
  for (const name of ['engine-stub', 'loopback']) fs.copyFileSync(STUB_CNI, path.join(binDir, name));
  for (const name of ['engine-stub', 'loopback']) fs.chmodSync(path.join(binDir, name), 0o755);
  const conflist = { cniVersion: '1.0.0', name: 'engine-stub', plugins: [{ type: 'engine-stub' }] };
  fs.writeFileSync(path.join(confDir, '10-engine-stub.conflist'), JSON.stringify(conflist, null, 2) + '\n');
}

/**
 * The pause and busybox image archives, built with scripts/oci-image.sh. They are the same for every
 * test file of a run, so they are kept under test-results/cri-images/<key>, the key changing with what
 * goes into them (the pause binary, the rootfs, the script). Returns the archives' paths.
 */
export async function imageArchives(): Promise<string[]> {
  const inputs = [PAUSE_BIN, path.join(ROOTFS_BASE, '.engine-rootfs'), OCI_IMAGE_SCRIPT].map((f) => {
    const st = fs.statSync(f);
    return `${f}:${st.size}:${st.mtimeMs}`;
  });
  const key = createHash('sha256').update(inputs.join('\n')).digest('hex').slice(0, 16);
  const dir = path.join(REPO_ROOT, 'test-results', 'cri-images', key);
  const archives = [path.join(dir, 'pause.tar'), path.join(dir, 'busybox.tar')];
  if (archives.every((a) => fs.existsSync(a))) return archives;
  // Built aside and renamed into place, so a concurrent run never sees half an image.
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const work = fs.mkdtempSync(`${dir}.build-`);
  try {
    const built = await buildImages(work);
    fs.mkdirSync(dir, { recursive: true });
    built.forEach((b, i) => fs.renameSync(b, archives[i]!));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return archives;
}

/** Builds the pause and busybox image archives into dir with scripts/oci-image.sh. Returns their paths. */
async function buildImages(dir: string): Promise<string[]> {
  const pauseRoot = path.join(dir, 'pause-rootfs');
  fs.mkdirSync(pauseRoot, { recursive: true });
  fs.copyFileSync(PAUSE_BIN, path.join(pauseRoot, 'pause'));
  fs.chmodSync(path.join(pauseRoot, 'pause'), 0o755);
  const images = [
    { name: PAUSE_IMAGE, out: path.join(dir, 'pause.tar'), root: pauseRoot, args: ['--entrypoint', '["/pause"]'] },
    { name: BUSYBOX_IMAGE, out: path.join(dir, 'busybox.tar'), root: ROOTFS_BASE, args: ['--cmd', '["/bin/sh"]'] },
  ];
  const env = { ...process.env, TMPDIR: dir };
  await Promise.all(
    images.map((i) => execFileP(OCI_IMAGE_SCRIPT, ['--name', i.name, '--out', i.out, ...i.args, i.root], { env })),
  );
  return images.map((i) => i.out);
}

/** Imports image archives into containerd's CRI namespace (unpacked for the overlayfs snapshotter). */
export async function importImages(grpcSocket: string, archives: string[]): Promise<void> {
  await Promise.all(
    archives.map((a) => execFileP('ctr', ['--address', grpcSocket, '-n', CRI_NAMESPACE, 'images', 'import', a], { timeout: 60_000 })),
  );
}
