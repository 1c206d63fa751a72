// Shared helpers for tests that use the static workloads (test/workloads, test/rootfs).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WORKLOADS_BIN = path.join(REPO, 'workloads', 'bin');
export const WORKLOAD_NAMES = ['memory_hog', 'cpu_hog', 'io_pulse', 'probe'];

export const bin = (name: string) => path.join(WORKLOADS_BIN, name);

/** Builds the workloads (make workloads; idempotent, renames into place) and checks they exist. */
export function ensureWorkloads(): void {
  try {
    execFileSync('make', ['-s', '-C', REPO, 'workloads'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    // The Makefile may be mid-edit by others; fine as long as the binaries are there.
    if (!WORKLOAD_NAMES.every((n) => existsSync(bin(n)))) throw e;
  }
  for (const n of WORKLOAD_NAMES) if (!existsSync(bin(n))) throw new Error(`${bin(n)} missing after make workloads`);
}

/** probe's write pattern: byte i is PATTERN[i % 64]. */
export const PROBE_PATTERN = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n';
export function probePattern(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = PROBE_PATTERN.charCodeAt(i % 64);
  return out;
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to completion, collecting output. */
export function runToEnd(
  file: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - start });
    });
    child.stdin.on('error', () => {}); // the program may exit without reading its input
    child.stdin.end(opts.input ?? '');
  });
}

/** Line reader over a child's stdout: next() waits for the next line matching re. */
export function lines(child: ChildProcess) {
  const queue: string[] = [];
  const waiters: Array<() => void> = [];
  let closed = false;
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (l) => {
    queue.push(l);
    waiters.splice(0).forEach((w) => w());
  });
  rl.on('close', () => {
    closed = true;
    waiters.splice(0).forEach((w) => w());
  });
  return {
    all: [] as string[],
    async next(re: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (queue.length) {
          const l = queue.shift()!;
          this.all.push(l);
          const m = l.match(re);
          if (m) return m;
        }
        if (closed) throw new Error(`output ended before a line matching ${re}; saw: ${this.all.slice(-5).join(' | ')}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${re}; saw: ${this.all.slice(-5).join(' | ')}`);
        await new Promise<void>((res) => {
          const t = setTimeout(res, left);
          waiters.push(() => {
            clearTimeout(t);
            res();
          });
        });
      }
    },
  };
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode as NodeJS.Signals | null });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}
