// A container's (or an exec's) stdin as the supervisor holds it: the write end of a pipe (-i), or
// a copy of the pty master (-t), which also takes window sizes. One client writes at a time
// (run -i, exec -i, or one attach); the bytes it sends go through with backpressure: the client's
// socket is paused while a write waits (connection.ts).

import fs from 'node:fs';
import net from 'node:net';
import { native } from '../native/addon.js';
import type { InputMessage } from '../protocol/messages.js';
import type { Frame } from '../protocol/framing.js';
import type { Connection } from './connection.js';

/** How long a write to a full pty input queue waits before it tries again. */
const PTY_RETRY_MS = 5;

export interface StdinSink {
  readonly tty: boolean;
  /** Nothing when the bytes are taken at once, else a promise of when they are written (or the
   *  reader is gone: they are dropped). */
  write(data: Buffer): Promise<void> | void;
  /** EOF for a pipe; nothing for a terminal (a client's EOF does not end a shell). */
  end(): void;
  resize(rows: number, cols: number): void;
  /** Releases the descriptor (the container or exec has ended). */
  close(): void;
  /** the connection feeding it, if any (one writer at a time) */
  writer: Connection | null;
}

export class PipeStdin implements StdinSink {
  readonly tty = false;
  writer: Connection | null = null;
  private readonly socket: net.Socket;
  private gone = false;

  constructor(writeFd: number) {
    this.socket = new net.Socket({ fd: writeFd, readable: false, writable: true });
    // EPIPE: the container closed its stdin or ended; later input is dropped.
    this.socket.on('error', () => (this.gone = true));
    this.socket.on('close', () => (this.gone = true));
  }

  write(data: Buffer): Promise<void> | void {
    if (this.gone || this.socket.writableEnded) return;
    if (this.socket.write(data)) return;
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  end(): void {
    if (!this.socket.writableEnded) this.socket.end();
  }

  resize(): void {}

  close(): void {
    this.gone = true;
    this.socket.destroy();
  }
}

export class PtyStdin implements StdinSink {
  readonly tty = true;
  writer: Connection | null = null;
  private fd: number | null;

  /** master: our own copy of the pty master (non-blocking, as the log producer set it) */
  constructor(master: number) {
    this.fd = master;
    native().setNonblock(master, true); // a full input queue must never block the event loop
  }

  write(data: Buffer): Promise<void> | void {
    let off = 0;
    while (off < data.length && this.fd !== null) {
      try {
        off += fs.writeSync(this.fd, data, off);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return; // EIO: the terminal's last reader is gone
        return this.writeLater(data.subarray(off));
      }
    }
  }

  /** The input queue is full: retry until the terminal's reader makes room. */
  private async writeLater(data: Buffer): Promise<void> {
    let off = 0;
    while (off < data.length && this.fd !== null) {
      try {
        off += fs.writeSync(this.fd, data, off);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN') return; // EIO: the terminal's last reader is gone
        await new Promise((resolve) => setTimeout(resolve, PTY_RETRY_MS));
      }
    }
  }

  end(): void {}

  resize(rows: number, cols: number): void {
    if (this.fd === null || rows <= 0 || cols <= 0) return;
    try {
      native().setWinsize(this.fd, rows, cols);
    } catch {
      /* the terminal is gone */
    }
  }

  close(): void {
    if (this.fd !== null) fs.close(this.fd, () => {});
    this.fd = null;
  }
}

/**
 * Makes `conn` the writer of `sink`: its data frames become stdin, its JSON frames EOF and window
 * sizes. closeStdin: the writer's EOF or disconnect closes the stdin (run -i, exec -i); an attached
 * writer only lets go of it, so another may attach later (Docker's attach without stdin-once).
 */
export function feedStdin(sink: StdinSink, conn: Connection, opts: { closeStdin: boolean }): void {
  sink.writer = conn;
  void conn.whenClosed().then(() => {
    if (sink.writer === conn) sink.writer = null;
    if (opts.closeStdin) sink.end();
  });
  conn.onInput((frame: Frame) => {
    if (sink.writer !== conn) return;
    if (frame.kind === 2) return sink.write(frame.data);
    const m = frame.message as InputMessage | null;
    if (m?.input === 'eof' && opts.closeStdin) sink.end();
    else if (m?.input === 'resize' && Number.isInteger(m.rows) && Number.isInteger(m.cols)) sink.resize(m.rows, m.cols);
  });
}

/** A reader only: window sizes are still taken from it (the terminal follows the last one). */
export function resizeOnly(sink: StdinSink, conn: Connection): void {
  conn.onInput((frame: Frame) => {
    if (frame.kind !== 1) return;
    const m = frame.message as InputMessage | null;
    if (m?.input === 'resize' && Number.isInteger(m.rows) && Number.isInteger(m.cols)) sink.resize(m.rows, m.cols);
  });
}
