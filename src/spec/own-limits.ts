// The runtime's own hard resource limits, from /proc/self/limits.
//
// Why: a container's init sets its rlimits before dropping capabilities, as the runtime's child.
// Without CAP_SYS_RESOURCE (withheld from root in some VMs) no hard limit can be raised above the
// runtime's own, and setrlimit would fail in the child after the container was already made.
// buildSpec checks first, so `--ulimit nofile=100000` there is a one-line error instead.

import { readFileSync } from 'node:fs';
import { RLIMIT_TYPES, RLIM_INFINITY, type RlimitType } from './config.js';

/** Hard limits by type; absent when unreadable. /proc/self/limits lists them in resource-number order. */
export function ownHardLimits(text?: string): Partial<Record<RlimitType, number>> {
  try {
    text ??= readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return {};
  }
  const out: Partial<Record<RlimitType, number>> = {};
  const rows = text.split('\n').slice(1).filter((l) => l.startsWith('Max '));
  rows.forEach((row, i) => {
    // "Max open files            20000                20000                files"
    const hard = row.slice(25).trim().split(/\s+/)[1];
    const type = RLIMIT_TYPES[i];
    if (!type || hard === undefined) return;
    if (hard === 'unlimited') out[type] = RLIM_INFINITY;
    else if (/^\d+$/.test(hard)) out[type] = Number(hard);
  });
  return out;
}
