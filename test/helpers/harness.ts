// End-to-end harness: a real supervisor process on its own socket and state directory, the real
// CLI, and per-test copies of the busybox rootfs that `make` builds at ./rootfs-base.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLI_ENTRY, REPO_ROOT } from '../../src/paths.js';
import { encodeJson } from '../../src/protocol/framing.js';
import { call } from '../../src/cli/client.js';
import type { Reply, Request } from '../../src/protocol/messages.js';

const execFileP = promisify(execFile);
export const ROOTFS_BASE = path.join(REPO_ROOT, 'rootfs-base');
export const isRoot = process.getuid?.() === 0;
/** Why end-to-end tests cannot run here, or null when they can. */
export const e2eSkipReason: string | null = !isRoot
  ? 'needs root (namespaces, mounts)'
  : !fs.existsSync(path.join(ROOTFS_BASE, 'bin/busybox'))
    ? 'needs ./rootfs-base (run make)'
    : !fs.existsSync(CLI_ENTRY)
      ? 'needs the compiled CLI (run make)'
      : null;

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until fn returns a truthy value or the deadline passes (then throws `what`). */
export async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** Runs the CLI. */
export function runEngine(args: string[], env: NodeJS.ProcessEnv = {}, opts: { input?: string; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Sends raw bytes to a socket and collects whatever comes back until the supervisor closes. */
export function rawExchange(socket: string, bytes: Buffer | null, opts: { endAfterWrite?: boolean; timeoutMs?: number } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socket);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('no answer from the supervisor'));
    }, opts.timeoutMs ?? 10_000);
    s.on('connect', () => {
      if (bytes) s.write(bytes);
      if (opts.endAfterWrite) s.end();
    });
    s.on('data', (d) => chunks.push(d));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    s.on('error', () => {});
  });
}

/** The JSON message of the first frame of a reply. */
export function firstMessage(buf: Buffer): { ok: boolean; error?: { code: string; message: string }; [k: string]: unknown } {
  const len = buf.readUInt32BE(0);
  return JSON.parse(buf.subarray(5, 5 + len).toString('utf8'));
}

export class Supervisor {
  readonly socket: string;
  readonly stateDir: string;
  proc!: ChildProcess;
  log = '';
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null });

  private constructor(readonly dir: string) {
    this.socket = path.join(dir, 'engine.sock');
    this.stateDir = path.join(dir, 'state');
  }

  static async start(opts: { graceMs?: number; args?: string[] } = {}): Promise<Supervisor> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-test-'));
    const sup = new Supervisor(dir);
    await sup.launch(opts);
    return sup;
  }

  async launch(opts: { graceMs?: number; args?: string[] } = {}): Promise<void> {
    const args = [CLI_ENTRY, 'supervisor', '--socket', this.socket, '--state-dir', this.stateDir, '--grace-ms', String(opts.graceMs ?? 2000), ...(opts.args ?? [])];
    this.proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.on('data', (d) => (this.log += d));
    this.exit = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    let exited = false;
    void this.exit.then(() => (exited = true));
    await until('the supervisor to answer', async () => {
      if (exited) throw new Error(`supervisor exited at start: ${this.log.trim()}`);
      return (await this.ping()) !== null;
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** The supervisor's pid if one answers on the socket, else null. */
  async ping(): Promise<number | null> {
    try {
      const reply = await rawExchange(this.socket, encodeJson({ verb: 'ping' }), { timeoutMs: 2000 });
      return reply.length ? (firstMessage(reply).pid as number) : null;
    } catch {
      return null;
    }
  }

  engine(...args: string[]): Promise<Result> {
    return runEngine(args, { ENGINE_SOCKET: this.socket });
  }

  /** One request straight over the socket (no CLI process): for loops of many requests. */
  call(request: Request): Promise<Reply> {
    return call(this.socket, request);
  }

  async inspect(id: string): Promise<Record<string, any>> {
    const r = await this.engine('inspect', id);
    if (r.code !== 0) throw new Error(`inspect ${id}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** A private copy of the busybox rootfs. */
  async rootfs(name = `rootfs-${Math.random().toString(36).slice(2, 8)}`): Promise<string> {
    const dir = path.join(this.dir, name);
    await execFileP('cp', ['-a', ROOTFS_BASE, dir]);
    return dir;
  }

  /** SIGTERM, as an operator's shutdown: resolves its exit code and how long it took. */
  async terminate(): Promise<{ code: number | null; tookMs: number }> {
    const began = Date.now();
    this.proc.kill('SIGTERM');
    const { code } = await this.exit;
    return { code, tookMs: Date.now() - began };
  }

  /**
   * A cheap copy for tests that need hundreds: new directories, files hard-linked to the base's
   * (the containers must not modify them). A plain copy where hard links cannot be made.
   */
  async linkedRootfs(name = `rootfs-${Math.random().toString(36).slice(2, 8)}`): Promise<string> {
    const dir = path.join(this.dir, name);
    try {
      await execFileP('cp', ['-al', ROOTFS_BASE, dir]);
    } catch {
      fs.rmSync(dir, { recursive: true, force: true });
      await execFileP('cp', ['-a', ROOTFS_BASE, dir]);
    }
    return dir;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
      await this.exit;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `test` when end-to-end tests can run here; otherwise `test.skip` with the reason in the title. */
export function e2eOnly<T extends (title: string, ...rest: any[]) => unknown>(test: T & { skip: T }): T {
  if (!e2eSkipReason) return test;
  return ((title: string, ...rest: any[]) => test.skip(`${title} (skipped: ${e2eSkipReason})`, ...rest)) as T;
}
