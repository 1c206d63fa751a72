// One way to skip: a test that cannot run here is registered as skipped with its reason in its
// title, so the TAP output (and the summary line before `N passed, N failed`) says why. The
// reasons are decided once, at load time.

import type { ImplementationFn, TestFn } from 'ava';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI_ENTRY, REPO_ROOT } from '../../src/paths.js';

export const isRoot = process.getuid?.() === 0;
export const ROOTFS_BASE = path.join(REPO_ROOT, 'rootfs-base');

/** Why end-to-end tests (real containers through a real supervisor) cannot run here, or null. */
export const e2eSkipReason: string | null = !isRoot
  ? 'needs root (namespaces, mounts)'
  : !fs.existsSync(path.join(ROOTFS_BASE, 'bin/busybox'))
    ? 'needs ./rootfs-base (run make)'
    : !fs.existsSync(CLI_ENTRY)
      ? 'needs the compiled CLI (run make)'
      : null;

/** Why a tool is missing, or null when `name` is on the PATH. */
export function needsTool(name: string): string | null {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return null;
  } catch {
    return `needs ${name}`;
  }
}

/** The first reason of several, or null. */
export function firstReason(...reasons: Array<string | null | undefined>): string | null {
  return reasons.find((r) => r) ?? null;
}

type Registrar<C> = (title: string, fn: ImplementationFn<[], C>) => void;
export type Gated<C> = Registrar<C> & { serial: Registrar<C> };

/**
 * `test` (and `.serial`) when reason is null; otherwise registers every test as skipped with
 * "(skipped: reason)" in its title.
 */
export function when<C>(test: TestFn<C>, reason: string | null): Gated<C> {
  if (!reason) {
    const run = ((title, fn) => test(title, fn)) as Gated<C>;
    run.serial = (title, fn) => test.serial(title, fn);
    return run;
  }
  const skip = ((title, fn) => test.skip(`${title} (skipped: ${reason})`, fn)) as Gated<C>;
  skip.serial = skip;
  return skip;
}
