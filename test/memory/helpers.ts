// Shared by the memory enforcer tests: a memory_hog that waits on its stdin until the enforcer is
// attached (so it never allocates unmonitored), its output lines with arrival times, its exit.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { isRoot } from '../support/skip.js';
import { bin } from '../support/workloads.js';

export { sleep } from '../support/process.js';

export const MEMORY_HOG = bin('memory_hog');
export const MIB = 1024 * 1024;

export interface Hog {
  child: ChildProcess;
  pid: number;
  lines: Array<{ at: number; text: string }>;
  /** Lets the hog start allocating. */
  go(): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Resolves when a line matching re has arrived. */
  waitLine(re: RegExp, timeoutMs?: number): Promise<{ at: number; text: string }>;
  kill(): void;
}

/** memory_hog ARGS behind `read` on stdin: nothing is allocated before go(). */
export function gatedHog(args: string[]): Hog {
  const child = spawn('/bin/sh', ['-c', 'read go && exec "$0" "$@"', MEMORY_HOG, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Hog['lines'] = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    const at = Date.now();
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push({ at, text: buf.slice(0, i) });
      buf = buf.slice(i + 1);
    }
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal, at: Date.now() })),
  );
  const waitLine = (re: RegExp, timeoutMs = 20_000) =>
    new Promise<{ at: number; text: string }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no line matching ${re} (got: ${lines.map((l) => l.text).join(' | ')})`)), timeoutMs);
      const look = () => {
        const l = lines.find((x) => re.test(x.text));
        if (l) {
          clearTimeout(t);
          resolve(l);
        } else waiters.push(look);
      };
      look();
    });
  return {
    child,
    pid: child.pid!,
    lines,
    go: () => child.stdin!.end('go\n'),
    exited,
    waitLine,
    kill: () => {
      try {
        child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
}


/** Why the enforcer tests cannot run here, or null. */
export function memorySkipReason(): string | null {
  if (!isRoot) return 'needs root (cgroups)';
  if (!fs.existsSync(MEMORY_HOG)) return 'needs workloads/bin/memory_hog (run make)';
  return null;
}
