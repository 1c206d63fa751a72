// --overlay: a container's private upper and work directories (and the empty directory its
// overlay is mounted on) under <state>/overlay/<id>/. The overlay itself is mounted by engine-init
// inside the container's mount namespace (compile.ts), so no host mount can outlive it; these
// directories hold the container's changes until `engine rm` discards them.

import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.js';

export interface OverlayDirs {
  upper: string;
  work: string;
  merged: string;
}

export class OverlayStore {
  constructor(readonly dir: string) {}

  paths(id: string): OverlayDirs & { base: string } {
    const base = path.join(this.dir, id);
    return { base, upper: path.join(base, 'upper'), work: path.join(base, 'work'), merged: path.join(base, 'merged') };
  }

  /** New empty directories for `id` (a stale set from a supervisor that crashed is replaced). */
  create(id: string): OverlayDirs {
    const p = this.paths(id);
    try {
      fs.rmSync(p.base, { recursive: true, force: true });
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      fs.mkdirSync(p.base, { mode: 0o700 });
      for (const d of [p.upper, p.work, p.merged]) fs.mkdirSync(d, { mode: 0o755 });
    } catch (err) {
      fs.rmSync(p.base, { recursive: true, force: true });
      throw new EngineError('start_failed', `--overlay: cannot make ${p.base}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return { upper: p.upper, work: p.work, merged: p.merged };
  }

  /** Discards the container's changes. */
  remove(id: string): Promise<void> {
    return fs.promises.rm(this.paths(id).base, { recursive: true, force: true });
  }

  /** At start-up: directories no container of this supervisor owns (a crashed one's) are removed. */
  sweep(keep: (id: string) => boolean): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const id of names) if (!keep(id)) fs.rmSync(path.join(this.dir, id), { recursive: true, force: true });
  }
}
