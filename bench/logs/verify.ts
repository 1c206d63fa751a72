// Off-thread verification of captured logs with a piscina pool (workers/logs-verify.ts): a big file
// is split into ranges checked in parallel, and many files are checked at once, without blocking the
// caller's event loop. Used by the tests and the bench to prove captures byte-exact.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { REPO_ROOT } from '../../src/paths.js';

export interface VerifyOutcome {
  path: string;
  size: number;
  expected: number;
  /** first differing offset, or -1 */
  mismatchAt: number;
  ok: boolean;
}

const RANGE = 64 * 1024 * 1024;

export class LogVerifier {
  private readonly pool: Piscina;

  constructor(threads = Math.max(1, Math.min(4, os.availableParallelism()))) {
    this.pool = new Piscina({ filename: path.join(REPO_ROOT, 'dist/bench/logs/verify.worker.js'), maxThreads: threads, minThreads: 1 });
  }

  /** Checks that `file` holds exactly the writer's first `expected` bytes for `seed`. */
  async pattern(file: string, expected: number, seed = 0): Promise<VerifyOutcome> {
    const size = fs.statSync(file).size;
    const tasks: Promise<{ mismatchAt: number }>[] = [];
    for (let start = 0; start < Math.min(size, expected); start += RANGE) {
      tasks.push(this.pool.run({ path: file, start, end: Math.min(start + RANGE, size, expected), seed }));
    }
    const results = await Promise.all(tasks);
    const bad = results.map((r) => r.mismatchAt).filter((m) => m >= 0);
    const mismatchAt = bad.length > 0 ? Math.min(...bad) : size !== expected ? Math.min(size, expected) : -1;
    return { path: file, size, expected, mismatchAt, ok: mismatchAt < 0 };
  }

  /** sha256 of a whole file (one task). */
  async sha256(file: string): Promise<string> {
    const size = fs.statSync(file).size;
    const r = await this.pool.run({ path: file, start: 0, end: size, mode: 'sha256' });
    return r.sha256 as string;
  }

  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}
