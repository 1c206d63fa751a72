// The static workloads (workloads/*.c, built into workloads/bin by make) as tests use them.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src/paths.js';

export const WORKLOADS_BIN = path.join(REPO_ROOT, 'workloads', 'bin');
export const WORKLOAD_NAMES = ['memory_hog', 'cpu_hog', 'io_pulse', 'probe'];

export const bin = (name: string) => path.join(WORKLOADS_BIN, name);

/** Builds the workloads (make workloads; idempotent, renames into place) and checks they exist. */
export function ensureWorkloads(): void {
  try {
    execFileSync('make', ['-s', '-C', REPO_ROOT, 'workloads'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    if (!WORKLOAD_NAMES.every((n) => existsSync(bin(n)))) throw e;
  }
  for (const n of WORKLOAD_NAMES) if (!existsSync(bin(n))) throw new Error(`${bin(n)} missing after make workloads`);
}

/** probe's write pattern: byte i is PROBE_PATTERN[i % 64]. */
export const PROBE_PATTERN = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n';
export function probePattern(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = PROBE_PATTERN.charCodeAt(i % 64);
  return out;
}
