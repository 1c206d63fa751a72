// The one harness for everything that drives a real supervisor: end-to-end tests and benches.
// A real `engine supervisor` process on its own socket and state directory (under a temp dir
// named engine-e2e-<run>-*, which scripts/run-ava.mjs uses to stop the supervisors a timed-out
// test file of its own run left behind), the real CLI, and per-test copies of ./rootfs-base.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { call } from '../../src/cli/client.js';
import { CLI_ENTRY } from '../../src/paths.js';
import { encodeJson } from '../../src/protocol/framing.js';
import type { ContainerRecord, Reply, Request, StartRequest, SupervisorInfo } from '../../src/protocol/messages.js';
import { until } from './process.js';
import { ROOTFS_BASE } from './skip.js';

const execFileP = promisify(execFile);

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI (node + the compiled entry, as the launcher does) to completion. */
export function runEngine(args: string[], env: NodeJS.ProcessEnv = {}, opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve) => {
    // `--` first: node 20 reads an --env-file anywhere in its argv (engine's own flag too) unless
    // its options end before the script, as the launcher's shebang does.
    const child = spawn(process.execPath, ['--', CLI_ENTRY, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Sends raw bytes to a socket and collects whatever comes back until the peer closes. */
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

export interface SupervisorOptions {
  graceMs?: number;
  /** more `engine supervisor` arguments (e.g. a base rootfs, --memory-enforcer) */
  args?: string[];
  /** run the supervisor under `taskset -c CPUS` */
  cpus?: string;
  /** an existing directory to use instead of a new temp dir (restart after a crash) */
  dir?: string;
  /** node options for the supervisor process (e.g. --cpu-prof) */
  nodeArgs?: string[];
}

export class Supervisor {
  readonly socket: string;
  readonly stateDir: string;
  proc!: ChildProcess;
  /** everything the supervisor wrote on stderr (its pino log) */
  log = '';
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null });

  private constructor(readonly dir: string) {
    this.socket = path.join(dir, 'engine.sock');
    this.stateDir = path.join(dir, 'state');
  }

  static async start(opts: SupervisorOptions = {}): Promise<Supervisor> {
    const sup = new Supervisor(opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `engine-e2e-${process.env.ENGINE_TEST_RUN ?? 'x'}-`)));
    await sup.launch(opts);
    return sup;
  }

  /** Starts the supervisor process and waits until it answers (again, after a kill: same dir). */
  async launch(opts: SupervisorOptions = {}): Promise<void> {
    const args = [...(opts.nodeArgs ?? []), CLI_ENTRY, 'supervisor', '--socket', this.socket, '--state-dir', this.stateDir, '--grace-ms', String(opts.graceMs ?? 2000), ...(opts.args ?? [])];
    const [file, argv] = opts.cpus ? ['taskset', ['-c', opts.cpus, process.execPath, ...args]] : [process.execPath, args];
    this.proc = spawn(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.on('data', (d) => (this.log += d));
    // ENGINE_TEST_LOGS=DIR keeps each supervisor's own log as DIR/supervisor-<pid>.log (debugging).
    const keep = process.env.ENGINE_TEST_LOGS;
    if (keep) this.proc.stderr!.on('data', (d) => fs.appendFileSync(path.join(keep, `supervisor-${this.proc.pid}.log`), d));
    this.exit = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    let exited = false;
    void this.exit.then(() => (exited = true));
    await until('the supervisor to answer', async () => {
      if (exited) throw new Error(`supervisor exited at start: ${this.log.trim()}`);
      return (await this.ping()) !== null;
    }, 60_000);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** The supervisor's pid if one answers on the socket, else null. */
  async ping(): Promise<number | null> {
    try {
      const reply = await rawExchange(this.socket, encodeJson({ verb: 'ping' }), { timeoutMs: 10_000 });
      return reply.length ? (firstMessage(reply).pid as number) : null;
    } catch {
      return null;
    }
  }

  /** The CLI, as a user runs it. */
  engine(...args: string[]): Promise<Result> {
    return runEngine(args, { ENGINE_SOCKET: this.socket });
  }

  /** The CLI with stdin and a deadline. */
  engineWith(opts: { input?: string | Buffer; timeoutMs?: number }, ...args: string[]): Promise<Result> {
    return runEngine(args, { ENGINE_SOCKET: this.socket }, opts);
  }

  /** One request straight over the socket (no CLI process): for loops of many requests. */
  call(request: Request): Promise<Reply> {
    return call(this.socket, request);
  }

  async inspect(id: string): Promise<Record<string, any>> {
    const r = await this.call({ verb: 'inspect', id });
    if (!r.ok || r.event !== 'record') throw new Error(`inspect ${id}: unexpected reply ${JSON.stringify(r)}`);
    return r.record;
  }

  async info(resetLoopDelay = false): Promise<SupervisorInfo> {
    const r = await this.call({ verb: 'info', resetLoopDelay });
    if (!r.ok || r.event !== 'info') throw new Error(`info: unexpected reply ${JSON.stringify(r)}`);
    return r.info;
  }

  /** Starts a container over the socket; throws unless it is running. */
  async startContainer(req: Omit<StartRequest, 'verb'>): Promise<ContainerRecord> {
    const r = await this.call({ verb: 'start', ...req });
    if (!r.ok || r.event !== 'started') throw new Error(`start ${req.id}: unexpected reply ${JSON.stringify(r)}`);
    if (r.record.state !== 'running') throw new Error(`start ${req.id}: ${r.record.state} (${r.record.reason ?? 'no reason'})`);
    return r.record;
  }

  /** Removes a container whatever its state (stop with no grace first). */
  async remove(id: string): Promise<void> {
    await this.call({ verb: 'stop', id, timeoutMs: 0 }).catch(() => {});
    await this.call({ verb: 'rm', id }).catch(() => {});
  }

  logOf(id: string): string {
    try {
      return fs.readFileSync(path.join(this.stateDir, 'logs', `${id}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  /** A private copy of the busybox rootfs. */
  async rootfs(name = `rootfs-${Math.random().toString(36).slice(2, 8)}`): Promise<string> {
    const dir = path.join(this.dir, name);
    await execFileP('cp', ['-a', ROOTFS_BASE, dir]);
    return dir;
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

  /** SIGTERM, as an operator's shutdown: resolves its exit code and how long it took. */
  async terminate(): Promise<{ code: number | null; tookMs: number }> {
    const began = Date.now();
    this.proc.kill('SIGTERM');
    const { code } = await this.exit;
    return { code, tookMs: Date.now() - began };
  }

  /** Orderly shutdown (SIGKILL after 15 s), then the temp dir is removed. */
  async stop(opts: { keepDir?: boolean } = {}): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
      await this.exit;
      clearTimeout(timer);
    }
    if (!opts.keepDir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
