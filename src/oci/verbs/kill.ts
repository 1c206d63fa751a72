// engine-oci kill [--all] ID [SIGNAL]: a signal (default SIGTERM; numbers or names, with or without
// SIG) to the container's init through a pidfd (a reused pid is never hit), or with --all to every
// process in its cgroups. A stopped container: "container not running", except with --all, which
// has nothing left to do and succeeds (containerd's shim sends it after the exit).

import fs from 'node:fs';
import { native } from '../../native/addon.js';
import { bool, parseFlags, UsageError } from '../args.js';
import { load } from '../common.js';
import type { OciContext } from '../main.js';
import { parseSignal } from '../signals.js';
import { checkId } from '../state.js';

/** Signals init through a pidfd opened and checked against its start time; false when gone. */
export function signalInit(pid: number, startTicks: string | null, signal: number): boolean {
  let fd: number;
  try {
    fd = native().pidfdOpen(pid);
  } catch {
    return false;
  }
  try {
    // the pidfd pins the process: if its start time is still ours, so is the signal's target
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    if (startTicks && ticks !== startTicks) return false;
    return native().pidfdSignal(fd, signal);
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

export async function run(ctx: OciContext, argv: string[]): Promise<number> {
  const p = parseFlags(argv, { values: [], booleans: ['all', 'a'] });
  const id = checkId(p.args[0]);
  if (p.args.length > 2) throw new UsageError('kill takes a container id and a signal');
  const signal = parseSignal(p.args[1]);
  const all = bool(p, 'all') || bool(p, 'a');
  const c = load(ctx.root, id);
  if (c.status === 'stopped') {
    if (all) return 0;
    throw new Error('container not running');
  }
  if (!all) {
    if (!signalInit(c.state.pid, c.state.startTicks, signal)) throw new Error('container not running');
    return 0;
  }
  // Frozen tasks take a SIGKILL only once thawed: thaw after signalling, as runc does.
  const frozen = c.status === 'paused';
  for (const pid of c.cgroup.procs()) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
  if (frozen && signal === 9) await c.cgroup.thaw().catch(() => {});
  return 0;
}
