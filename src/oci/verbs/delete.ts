// engine-oci delete [--force] ID (the notes' rules, which containerd and podman rely on):
//   stopped -> destroyed; created -> its init killed, then destroyed (runc and crun do this, and
//   containerd deletes created tasks this way; runtime.md would refuse: see docs/oci.md);
//   running or paused -> an error without --force; --force kills every process, then destroys;
//   an unknown id -> "does not exist", or exit 0 with --force.
// Destroying removes the cgroups made at create, runs the poststop hooks (a failure is a
// warning), and removes the state directory.

import fs from 'node:fs';
import path from 'node:path';
import { processAlive } from '../../proc/proc.js';
import { bool, parseFlags, UsageError } from '../args.js';
import { load, sleep, type Loaded } from '../common.js';
import { runHooks } from '../hooks.js';
import { logWarning } from '../log.js';
import type { OciContext } from '../main.js';
import { checkId, containerDir, NotFound, stateJson } from '../state.js';
import { readSavedConfig } from '../saved-config.js';
import { signalInit } from './kill.js';

async function killEverything(c: Loaded): Promise<void> {
  signalInit(c.state.pid, c.state.startTicks, 9);
  for (const pid of c.cgroup.procs()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (c.cgroup.frozen()) await c.cgroup.thaw().catch(() => {});
  const deadline = Date.now() + 10_000;
  while ((c.state.pid && processAlive(c.state.pid, c.state.startTicks ?? undefined)) || c.cgroup.procs().length > 0) {
    if (Date.now() > deadline) throw new Error(`the container's processes did not end within 10 s of SIGKILL`);
    await sleep(2);
  }
}

export async function destroy(root: string, c: Loaded): Promise<void> {
  await killEverything(c);
  if (!(await c.cgroup.remove())) logWarning(`cgroup ${c.state.cgroupPath} could not be removed`);
  const dir = containerDir(root, c.state.id);
  const spec = readSavedConfig(dir); // null: a create killed before it saved the config, no hooks
  if (spec) runHooks(spec.hooks?.poststop, stateJson(c.state, 'stopped'), 'poststop', logWarning);
  // Renamed first, so a concurrent delete finds nothing rather than half a directory.
  const gone = path.join(root, `.deleted-${c.state.id}-${process.pid}`);
  try {
    fs.renameSync(dir, gone);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  fs.rmSync(gone, { recursive: true, force: true });
}

export async function run(ctx: OciContext, argv: string[]): Promise<number> {
  const p = parseFlags(argv, { values: [], booleans: ['force', 'f'] });
  const id = checkId(p.args[0]);
  if (p.args.length > 1) throw new UsageError('delete takes one container id');
  const force = bool(p, 'force') || bool(p, 'f');
  let c: Loaded;
  try {
    c = load(ctx.root, id);
  } catch (err) {
    if (err instanceof NotFound && force) {
      // A create killed between making the directory and writing its state leaves the directory
      // alone: nothing was started yet, so removing it is all there is to do.
      fs.rmSync(containerDir(ctx.root, id), { recursive: true, force: true });
      return 0;
    }
    throw err;
  }
  if ((c.status === 'running' || c.status === 'paused' || c.status === 'creating') && !force) {
    throw new Error(`cannot delete container ${id} that is not stopped: ${c.status}`);
  }
  await destroy(ctx.root, c);
  return 0;
}
