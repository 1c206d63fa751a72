// A real terminal for tests: a private tmux server (its own -L socket name, no config) running a
// plain bash in a window of fixed size. Tests type with send-keys and wait on capture-pane
// content with a deadline, never with sleeps.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { until } from './process.js';

const execFileP = promisify(execFile);

let serial = 0;

export class Tmux {
  private constructor(readonly server: string) {}

  /** A detached session of cols x rows running bash --norc with the prompt `HOST$ `. */
  static async start(opts: { cols?: number; rows?: number; env?: Record<string, string> } = {}): Promise<Tmux> {
    const t = new Tmux(`engine-test-${process.pid}-${++serial}`);
    const env = Object.entries({ TERM: 'xterm', PS1: 'HOST$ ', ...opts.env }).map(([k, v]) => `${k}=${v}`);
    await t.tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', String(opts.cols ?? 80), '-y', String(opts.rows ?? 24), 'env', ...env, 'bash', '--norc', '--noprofile');
    // The window keeps the size it is given (no client will ever attach to resize it).
    await t.tmux('set-option', '-t', 'main', 'window-size', 'manual');
    await t.waitFor(/HOST\$ ?$/m, 'the host shell prompt');
    return t;
  }

  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await execFileP('tmux', ['-L', this.server, ...args], { env: { ...process.env, TMUX: '' } });
    return stdout;
  }

  /** Types `text` literally, then Enter. */
  async line(text: string): Promise<void> {
    await this.tmux('send-keys', '-t', 'main', '-l', text);
    await this.tmux('send-keys', '-t', 'main', 'Enter');
  }

  /** Sends keys by tmux name (C-c, C-p, Enter). */
  async keys(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', 'main', ...keys);
  }

  /** The visible pane, trailing blanks trimmed. */
  async screen(): Promise<string> {
    return (await this.tmux('capture-pane', '-p', '-t', 'main')).replace(/\s+$/, '');
  }

  async resize(cols: number, rows: number): Promise<void> {
    await this.tmux('resize-window', '-t', 'main', '-x', String(cols), '-y', String(rows));
  }

  /** Waits until the pane matches; the error shows the pane. */
  async waitFor(pattern: RegExp, what: string, timeoutMs = 30_000): Promise<string> {
    let last = '';
    try {
      return await until(
        what,
        async () => {
          last = await this.screen();
          return pattern.test(last) ? last : null;
        },
        timeoutMs,
        50,
      );
    } catch {
      throw new Error(`timed out waiting for ${what}; the pane shows:\n${last}`);
    }
  }

  /** Clears the pane and its history (so the next wait sees only new output). */
  async clear(): Promise<void> {
    await this.tmux('send-keys', '-t', 'main', '-R');
    await this.tmux('clear-history', '-t', 'main');
  }

  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => {});
  }
}
