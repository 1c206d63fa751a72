// Piscina task: checks one byte range of a captured log against the bench writer's pattern
// (bench/logs/writer.c) or hashes it. Short, CPU- and I/O-bound tasks, one per range, so a pool
// thread is never pinned: this is what piscina is for here (the pipeline's own long-lived loops are
// plain Workers, never pool tasks).

import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { PATTERN_PERIOD, patternBuffer } from './verify-pattern.js';

export interface VerifyTask {
  path: string;
  /** [start, end) of the file to check */
  start: number;
  end: number;
  /** writer seed; the byte at offset o is pattern[(o + seed) % PERIOD] */
  seed?: number;
  /** 'pattern' (default) compares against the writer's pattern; 'sha256' returns the range's hash */
  mode?: 'pattern' | 'sha256';
}

export interface VerifyResult {
  /** first offset whose byte differs (pattern mode), or -1 */
  mismatchAt: number;
  /** bytes actually read (short file: less than end - start) */
  bytes: number;
  sha256?: string;
}

const CHUNK = 1 << 20;
let pattern: Buffer | undefined;

export default function verifyRange(t: VerifyTask): VerifyResult {
  const fd = fs.openSync(t.path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    const hash = t.mode === 'sha256' ? createHash('sha256') : undefined;
    pattern ??= patternBuffer(CHUNK);
    const seed = t.seed ?? 0;
    let pos = t.start;
    while (pos < t.end) {
      const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, t.end - pos), pos);
      if (n === 0) break;
      if (hash) hash.update(buf.subarray(0, n));
      else {
        const p = (pos + seed) % PATTERN_PERIOD;
        if (buf.compare(pattern, p, p + n, 0, n) !== 0) {
          for (let i = 0; i < n; i++) if (buf[i] !== pattern[p + i]) return { mismatchAt: pos + i, bytes: pos + i - t.start };
        }
      }
      pos += n;
    }
    return { mismatchAt: -1, bytes: pos - t.start, sha256: hash?.digest('hex') };
  } finally {
    fs.closeSync(fd);
  }
}
