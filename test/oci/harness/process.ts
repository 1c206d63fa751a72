// Child processes for the OCI lane: every call has a deadline, after which the child (ours) is
// SIGKILLed and the result says so, so a hung caller or runtime fails its test instead of the lane.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall-clock time from spawn to exit. */
  ms: number;
  timedOut: boolean;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
  /**
   * Send stdout and stderr to files (read back after the exit) instead of pipes: for a runtime's
   * `create`, whose container init inherits them and would hold a pipe open for its whole life.
   */
  outputDir?: string;
}

let outputSerial = 0;

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const files = opts.outputDir
      ? { out: path.join(opts.outputDir, `out.${process.pid}.${outputSerial}`), err: path.join(opts.outputDir, `err.${process.pid}.${outputSerial++}`) }
      : null;
    const fds = files ? [fs.openSync(files.out, 'w'), fs.openSync(files.err, 'w')] : null;
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', fds ? fds[0] : 'pipe', fds ? fds[1] : 'pipe'],
    });
    if (fds) fds.forEach((fd) => fs.closeSync(fd));
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.stdin!.on('error', () => {}); // a child that exits without reading its stdin
    child.stdin!.end(opts.input ?? '');
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (files) {
        stdout = fs.readFileSync(files.out, 'utf8');
        stderr = fs.readFileSync(files.err, 'utf8');
        fs.rmSync(files.out, { force: true });
        fs.rmSync(files.err, { force: true });
      }
      resolve({ code, signal, stdout, stderr, ms: performance.now() - began, timedOut });
    });
  });
}

/** Runs and throws with the command line and its stderr unless it exits 0. */
export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${describe(cmd, args)} exited ${r.timedOut ? 'on its deadline' : r.code ?? r.signal}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r;
}

export function describe(cmd: string, args: string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until fn returns a truthy value, or throws "timed out waiting for WHAT" at the deadline. */
export async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
