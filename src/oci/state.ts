// A container's state on disk, under the runtime's root (runc's layout, --root, default
// /run/engine-oci): <root>/<id>/state.json (written atomically: temp file + rename, at every step of
// create), config.json (the config as it was at create: later edits of the bundle's copy change
// nothing), exec.fifo (the start gate; its existence is what makes a container `created`),
// fast-start ("PID STARTTICKS\n", while created, only when `start` has nothing to do but open the
// gate: the C launcher, native/oci-launcher/engine-oci.c, then does the start without Node).
// The status is computed live from the process itself (runtime.md's "state" operation).

import fs from 'node:fs';
import path from 'node:path';
import { processAlive } from '../proc/proc.js';

export const DEFAULT_ROOT = '/run/engine-oci';
export const OCI_VERSION = '1.1.0';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface StoredState {
  id: string;
  bundle: string;
  rootfs: string;
  /** the container's init (host pid); 0 until it exists */
  pid: number;
  /** its start time (/proc/<pid>/stat field 22), so a reused pid is not taken for it */
  startTicks: string | null;
  /** the create command itself while it runs (a create killed midway is told apart by it) */
  creator: { pid: number; startTicks: string | null };
  created: string;
  annotations: Record<string, string>;
  /** the cgroup path made at create (what delete removes) */
  cgroupPath: string;
  /** namespaces the container has, for exec to join (the user namespace only when it has one) */
  namespaces: string[];
  phase: 'creating' | 'created';
}

export class NotFound extends Error {
  constructor(id: string) {
    super(`container "${id}" does not exist`);
  }
}

export const ID_PATTERN = /^[A-Za-z0-9_+\-.]{1,1024}$/;

export function checkId(id: string | undefined): string {
  if (!id) throw new Error('container id cannot be empty');
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') throw new Error(`invalid container id "${id}": letters, digits and _ + - . only`);
  return id;
}

export function containerDir(root: string, id: string): string {
  return path.join(root, id);
}

export function fifoPath(root: string, id: string): string {
  return path.join(root, id, 'exec.fifo');
}

export function fastStartPath(root: string, id: string): string {
  return path.join(root, id, 'fast-start');
}

export function readState(root: string, id: string): StoredState {
  let text: string;
  try {
    text = fs.readFileSync(path.join(containerDir(root, id), 'state.json'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFound(id);
    throw err;
  }
  try {
    return JSON.parse(text) as StoredState;
  } catch {
    throw new Error(`container "${id}": its state file is corrupt (${path.join(containerDir(root, id), 'state.json')})`);
  }
}

export function writeState(root: string, s: StoredState): void {
  const file = path.join(containerDir(root, s.id), 'state.json');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(s));
  fs.renameSync(tmp, file);
}

/** The container's status, from its process, its start gate and its freezer. */
export function statusOf(root: string, s: StoredState, frozen: () => boolean): Status {
  if (s.pid === 0 || s.phase === 'creating') {
    // a create that is still running, or one that was killed before it finished
    if (processAlive(s.creator.pid, s.creator.startTicks ?? undefined)) return 'creating';
    if (s.pid === 0) return 'stopped';
  }
  if (!processAlive(s.pid, s.startTicks ?? undefined)) return 'stopped';
  if (s.phase === 'creating') return 'stopped'; // its create died: it will never be started
  if (fs.existsSync(fifoPath(root, s.id))) return 'created';
  return frozen() ? 'paused' : 'running';
}

/** What `state` prints (runtime.md): pid 0 once stopped, so two reads of a stopped container are equal. */
export function stateJson(s: StoredState, status: Status): object {
  return {
    ociVersion: OCI_VERSION,
    id: s.id,
    status,
    pid: status === 'stopped' ? 0 : s.pid,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    annotations: s.annotations,
    owner: '',
  };
}

export function listIds(root: string): string[] {
  try {
    return fs
      .readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}
