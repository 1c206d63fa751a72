// For the seccomp tests: the seccomp-exec helper (make security-test-helpers) and the probe.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT as REPO } from '../../src/paths.js';
import { runToEnd, type Run } from '../support/process.js';
import { bin, ensureWorkloads } from '../support/workloads.js';

export const SECCOMP_EXEC = path.join(REPO, 'test/security/bin/seccomp-exec');
export const PROBE = bin('probe');
export const isRoot = process.getuid?.() === 0;

/** Builds the probe and the seccomp-exec helper (idempotent). */
export function ensureHelpers(): void {
  ensureWorkloads();
  execFileSync('make', ['-s', '-C', REPO, 'security-test-helpers'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (!existsSync(SECCOMP_EXEC)) throw new Error(`${SECCOMP_EXEC} missing after make security-test-helpers`);
}

/** A private temp dir for one test file. */
export const tempDir = (tag: string) => mkdtempSync(path.join(os.tmpdir(), `engine-${tag}-`));

/** Writes a BPF program to a file in `dir` and returns its path. */
export function writeProgram(dir: string, name: string, program: Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, program);
  return file;
}

/**
 * Runs the probe with `args` under the filter in `programFile`. As root it first enters a private
 * mount and UTS namespace, so a probe the filter wrongly lets through changes nothing on the host.
 */
export function probeUnder(programFile: string, args: string[]): Promise<Run> {
  return runToEnd(SECCOMP_EXEC, [...(isRoot ? ['--private'] : []), programFile, PROBE, ...args], { timeoutMs: 30_000 });
}
