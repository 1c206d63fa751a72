// The client's side of -i and -t (run, exec, attach): stdin forwarded to the supervisor as data
// frames with backpressure, EOF and window sizes as JSON frames, the terminal in raw mode and
// restored on every way out, and the detach key sequence (Docker's Ctrl-P Ctrl-Q).

import type tty from 'node:tty';
import { EngineError } from '../errors.js';
import { encodeDataHeader, encodeJson, MAX_DATA_FRAME } from '../protocol/framing.js';
import type { InputMessage, Reply, TtyRequest } from '../protocol/messages.js';
import { writeOut, type Client } from './client.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** Docker's "the input device is not a TTY": -t needs a terminal on stdin. */
export function requireTerminal(): void {
  if (!process.stdin.isTTY) throw new EngineError('invalid_argument', 'the input device is not a TTY (-t needs a terminal on stdin; leave out -t)');
}

function terminalOut(): tty.WriteStream | null {
  if (process.stdout.isTTY) return process.stdout;
  if (process.stderr.isTTY) return process.stderr;
  return null;
}

/** The client's window (rows, columns) and TERM, for -t. */
export function ttyRequest(): TtyRequest {
  const out = terminalOut();
  const [cols, rows] = out ? out.getWindowSize() : [80, 24];
  return { rows, cols, term: process.env.TERM || 'xterm' };
}

/**
 * Docker's --detach-keys: comma-separated keys, each one character or ctrl-<a-z @ [ \ ] ^ _>.
 * An empty string turns detaching off.
 */
export function parseDetachKeys(spec: string): Buffer | null {
  if (spec === '') return null;
  const bytes: number[] = [];
  for (const key of spec.split(',')) {
    const ctrl = /^ctrl-(.)$/i.exec(key);
    if (ctrl) {
      const c = ctrl[1].toLowerCase();
      if (/[a-z]/.test(c)) bytes.push(c.charCodeAt(0) - 96);
      else if ('@[\\]^_'.includes(c)) bytes.push(c.charCodeAt(0) - 64);
      else throw new EngineError('invalid_argument', `--detach-keys: unknown key ${JSON.stringify(key)} (ctrl-a..ctrl-z, ctrl-@, ctrl-[, ctrl-\\, ctrl-], ctrl-^, ctrl-_)`);
    } else if (key.length === 1) {
      bytes.push(key.charCodeAt(0));
    } else {
      throw new EngineError('invalid_argument', `--detach-keys: unknown key ${JSON.stringify(key)} (a single character or ctrl-<key>, comma-separated)`);
    }
  }
  return Buffer.from(bytes);
}

/** Finds the detach sequence in a stream of chunks; bytes of a partial match are held back. */
export class DetachScanner {
  private held = 0;

  constructor(private readonly keys: Buffer) {}

  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    if (this.held === 0 && chunk.indexOf(this.keys[0]) < 0) return { forward: chunk, detach: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held]) {
        if (++this.held === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      if (this.held > 0) {
        out.push(...this.keys.subarray(0, this.held));
        this.held = 0;
        if (b === this.keys[0]) {
          this.held = 1;
          continue;
        }
      }
      out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

/** Raw mode on the client's terminal, undone by restore(), at exit, and on a fatal signal. */
export class RawTerminal {
  private on = false;
  private readonly restoreAtExit = () => this.restore();

  enable(): void {
    if (!process.stdin.isTTY || this.on) return;
    process.stdin.setRawMode(true);
    this.on = true;
    process.on('exit', this.restoreAtExit);
  }

  restore(): void {
    if (!this.on) return;
    this.on = false;
    process.off('exit', this.restoreAtExit);
    try {
      process.stdin.setRawMode(false);
    } catch {
      /* stdin already gone: Node resets the terminal it started with at exit */
    }
  }
}

function send(client: Client, message: InputMessage): void {
  if (!client.socket.destroyed) client.socket.write(encodeJson(message));
}

/** Sends the window size now and whenever it changes; returns the function that stops it. */
export function forwardWindowSize(client: Client): () => void {
  const out = terminalOut();
  if (!out) return () => {};
  const onResize = () => {
    const [cols, rows] = out.getWindowSize();
    send(client, { input: 'resize', rows, cols });
  };
  process.on('SIGWINCH', onResize);
  onResize();
  return () => process.off('SIGWINCH', onResize);
}

/**
 * Forwards stdin to the supervisor until EOF (then sends eof) or the detach keys (then calls
 * onDetach instead of sending them). Reading pauses while the socket is full.
 */
export function forwardStdin(client: Client, opts: { detachKeys: Buffer | null; onDetach: () => void }): void {
  const sock = client.socket;
  const stdin = process.stdin;
  const scanner = opts.detachKeys && stdin.isTTY ? new DetachScanner(opts.detachKeys) : null;
  let detached = false;
  stdin.on('data', (chunk: Buffer) => {
    if (detached || sock.destroyed) return;
    let data = chunk;
    let detach = false;
    if (scanner) ({ forward: data, detach } = scanner.push(chunk));
    let full = false;
    for (let off = 0; off < data.length; off += MAX_DATA_FRAME) {
      const part = data.subarray(off, off + MAX_DATA_FRAME);
      sock.write(encodeDataHeader(part.length));
      full = !sock.write(part) || full;
    }
    if (detach) {
      detached = true;
      stdin.pause();
      opts.onDetach();
      return;
    }
    if (full) {
      stdin.pause();
      sock.once('drain', () => stdin.resume());
    }
  });
  stdin.on('end', () => {
    if (!detached) send(client, { input: 'eof' });
  });
  stdin.on('error', () => {
    if (!detached) send(client, { input: 'eof' });
  });
}

/** Stops reading stdin so the process can end (a terminal or an endless pipe keeps it alive). */
export function releaseStdin(): void {
  process.stdin.pause();
  process.stdin.removeAllListeners('data');
  if (!process.stdin.isTTY) process.stdin.destroy();
  else process.stdin.unref?.();
}

/**
 * What run, exec and attach do once the container or process is there: the terminal raw when the
 * keys go to it (Docker's rule: with -t alone Ctrl-C stays the client's), the window size, stdin
 * with the detach keys, and its output until the final reply. Every way out restores the terminal
 * and lets go of stdin.
 */
export class InteractiveSession {
  private detachedByUser = false;

  constructor(private readonly client: Client) {}

  /** Leaves the container running: the connection closes, run() resolves null. */
  detach(): void {
    this.detachedByUser = true;
    this.client.close();
  }

  get detached(): boolean {
    return this.detachedByUser;
  }

  /** The final reply, or null when the user detached. */
  async run(o: { tty: boolean; stdin: boolean; detachKeys: Buffer | null }): Promise<Reply | null> {
    const raw = new RawTerminal();
    let stopResize = () => {};
    try {
      if (o.tty) {
        if (o.stdin) raw.enable();
        stopResize = forwardWindowSize(this.client);
      }
      if (o.stdin) forwardStdin(this.client, { detachKeys: o.detachKeys, onDetach: () => this.detach() });
      let final: Reply;
      try {
        final = await this.client.reply(writeOut);
      } catch (err) {
        if (this.detachedByUser) return null;
        throw err;
      }
      this.client.close();
      return final;
    } finally {
      stopResize();
      raw.restore();
      if (o.stdin) releaseStdin();
    }
  }
}
