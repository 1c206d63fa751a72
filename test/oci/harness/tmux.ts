// A terminal for callers that need one (`ctr run -t`, `podman run -it`, `podman exec -it`): a
// session on the lane's private tmux server. The command's exit status is written to a file and
// announced on a tmux wait-for channel, so the test waits for the event, not for a delay.

import fs from 'node:fs';
import path from 'node:path';
import { describe, run, runOk, until } from './process.js';

let serial = 0;

export class TmuxSession {
  private readonly exitFile: string;
  private constructor(readonly socket: string, readonly name: string, dir: string) {
    this.exitFile = path.join(dir, `${name}.exit`);
  }

  /** Starts `argv` in a new detached 120x40 session. */
  static async start(socket: string, dir: string, label: string, argv: string[]): Promise<TmuxSession> {
    const name = `${label.replace(/[^A-Za-z0-9_-]/g, '-')}-${process.pid}-${serial++}`;
    fs.mkdirSync(dir, { recursive: true });
    const s = new TmuxSession(socket, name, dir);
    const script = `${describe(argv[0], argv.slice(1))}; echo $? > ${s.exitFile}; tmux -S ${socket} wait-for -S ${name}`;
    // The pane stays after its command has ended, so its last output can still be read.
    const conf = `${socket}.conf`;
    if (!fs.existsSync(conf)) fs.writeFileSync(conf, 'set -g remain-on-exit on\nset -g history-limit 2000\n');
    await runOk('tmux', ['-S', socket, '-f', conf, 'new-session', '-d', '-s', name, '-x', '120', '-y', '40', 'sh', '-c', script],
      { env: { ...process.env, TERM: process.env.TERM || 'xterm' } });
    return s;
  }

  async screen(): Promise<string> {
    const r = await run('tmux', ['-S', this.socket, 'capture-pane', '-p', '-J', '-S', '-200', '-t', this.name]);
    return r.stdout;
  }

  /** Waits until the visible text matches; returns the match. */
  async waitFor(re: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    let last = '';
    try {
      return await until(`${re} on the terminal`, async () => {
        last = await this.screen();
        return last.match(re);
      }, timeoutMs, 50);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the screen shows:\n${last.replace(/\n+$/, '')}`);
    }
  }

  /** Types a line (the keys, then Enter). */
  async type(line: string): Promise<void> {
    await runOk('tmux', ['-S', this.socket, 'send-keys', '-t', this.name, '-l', line]);
    await runOk('tmux', ['-S', this.socket, 'send-keys', '-t', this.name, 'Enter']);
  }

  /** The command's exit status, once it has exited. */
  async exitCode(timeoutMs = 30_000): Promise<number> {
    const r = await run('tmux', ['-S', this.socket, 'wait-for', this.name], { timeoutMs });
    if (r.timedOut) throw new Error(`the command in tmux session ${this.name} did not exit within ${timeoutMs} ms; the screen shows:\n${await this.screen()}`);
    return Number(fs.readFileSync(this.exitFile, 'utf8').trim());
  }

  async kill(): Promise<void> {
    await run('tmux', ['-S', this.socket, 'kill-session', '-t', this.name]);
  }
}
