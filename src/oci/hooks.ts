// The hooks engine-oci runs itself, in the runtime's namespaces (runtime.md): prestart and
// createRuntime during create (after the namespaces exist, before the root is pivoted),
// poststart at the end of start, poststop at delete. Each gets the container's state JSON on
// stdin and may have a timeout. A failing prestart/createRuntime fails the create; a failing
// poststart or poststop is a warning and the remaining hooks still run.

import { spawnSync } from 'node:child_process';
import type { Hook } from '../spec/config.js';

export function runHook(h: Hook, state: object): string | null {
  const [argv0, ...rest] = h.args?.length ? h.args : [h.path];
  const r = spawnSync(h.path, rest, {
    argv0,
    input: JSON.stringify(state),
    env: Object.fromEntries((h.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
    timeout: h.timeout ? h.timeout * 1000 : undefined,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  if (r.error) return `${h.path}: ${(r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `timed out after ${h.timeout} s` : r.error.message}`;
  if (r.signal) return `${h.path}: killed by ${r.signal}`;
  if (r.status !== 0) return `${h.path}: exit status ${r.status}${r.stderr?.length ? `: ${r.stderr.toString().trim().split('\n').pop()}` : ''}`;
  return null;
}

/** Runs the hooks in order; the first failure is returned (fatal) or every failure (warnings). */
export function runHooks(hooks: Hook[] | undefined, state: object, phase: string, warn?: (msg: string) => void): void {
  for (const h of hooks ?? []) {
    const err = runHook(h, state);
    if (!err) continue;
    if (!warn) throw new Error(`${phase} hook ${err}`);
    warn(`${phase} hook ${err}`);
  }
}
