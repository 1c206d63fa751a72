// Shared helpers for the log pipeline tests: temp dirs on tmpfs, pipes, the bench writer.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { native } from '../../src/native/addon.js';
import { REPO_ROOT } from '../../src/paths.js';

export const WRITER = path.join(REPO_ROOT, 'bench/logs/bin/writer');

export function ensureWriter(): void {
  if (!fs.existsSync(WRITER)) {
    const r = spawnSync('make', ['-C', REPO_ROOT, 'bench-tools'], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error('make bench-tools failed');
  }
}

export function tempDir(tag: string): string {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  return fs.mkdtempSync(path.join(base, `engine-logs-${tag}-`));
}

export function pipe(): [number, number] {
  return native().pipe();
}

export function closeFd(fd: number): void {
  native().closeFd(fd);
}

/** Starts the writer with its stdout on writeFd (closed here afterwards). */
export function startWriter(writeFd: number, bytes: number, seed = 0, chunk = 65536): ChildProcess {
  const c = spawn(WRITER, [String(bytes), String(chunk), String(seed)], { stdio: ['ignore', writeFd, 'inherit'] });
  closeFd(writeFd);
  return c;
}


export { within } from './process.js';
