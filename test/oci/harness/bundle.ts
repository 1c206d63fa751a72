// Bundles for driving a runtime directly, as containerd's shim and conmon do: config.json is
// `runc spec`'s default adapted (no terminal, our command, our cgroup path), rootfs a copy of
// ./rootfs-base. Every verb gets a private --root and a deadline.

import fs from 'node:fs';
import path from 'node:path';
import { run, runOk, type RunResult } from './process.js';
import { RUNC_BINARY, type Runtime } from './runtimes.js';

let specTemplate: Record<string, any> | null = null;

/** `runc spec`'s config.json, generated once per process in a scratch directory. */
export async function runcSpec(scratch: string): Promise<Record<string, any>> {
  if (!specTemplate) {
    const dir = fs.mkdtempSync(path.join(scratch, 'spec-'));
    await runOk(RUNC_BINARY, ['spec'], { cwd: dir });
    specTemplate = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return structuredClone(specTemplate!);
}

export interface BundleOptions {
  args: string[];
  /** Absolute path of the rootfs (shared by several bundles when read-only). */
  rootfs: string;
  cgroupsPath: string;
  hooks?: Record<string, { path: string; args?: string[]; timeout?: number }[]>;
  annotations?: Record<string, string>;
}

/** Writes DIR/config.json and returns DIR. */
export async function writeBundle(scratch: string, dir: string, opts: BundleOptions): Promise<string> {
  const spec = await runcSpec(scratch);
  spec.process.terminal = false;
  spec.process.args = opts.args;
  spec.root = { path: opts.rootfs, readonly: true };
  spec.hostname = path.basename(dir).slice(0, 63);
  spec.linux.cgroupsPath = opts.cgroupsPath;
  if (opts.hooks) spec.hooks = opts.hooks;
  if (opts.annotations) spec.annotations = opts.annotations;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  return dir;
}

/** One runtime, one private state root. */
export class DirectRuntime {
  constructor(readonly rt: Runtime, readonly root: string) {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    fs.mkdirSync(`${root}.out`, { recursive: true });
  }

  /** One verb; output through files, since a created container's init inherits the runtime's stdio. */
  call(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return run(this.rt.path, ['--root', this.root, ...args], { timeoutMs: 120_000, outputDir: this.root + '.out', ...opts });
  }

  /** `state ID` parsed, or null with the error text when the runtime refuses. */
  async state(id: string): Promise<{ state: Record<string, any> | null; result: RunResult }> {
    const result = await this.call(['state', id]);
    if (result.code !== 0) return { state: null, result };
    try {
      return { state: JSON.parse(result.stdout), result };
    } catch {
      return { state: null, result };
    }
  }

  /** The names left in the state root. */
  entries(): string[] {
    return fs.existsSync(this.root) ? fs.readdirSync(this.root) : [];
  }
}
