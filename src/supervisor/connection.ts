// One client connection on the supervisor side: framed replies with backpressure, and a
// closed flag so long-running handlers (run, logs -f) stop when the client goes away.

import type net from 'node:net';
import { encodeDataHeader, encodeJson, MAX_DATA_FRAME, type Frame } from '../protocol/framing.js';
import type { Reply } from '../protocol/messages.js';

/** Frames a client may have queued before its handler takes them; more pauses the socket. */
const INPUT_QUEUE_FRAMES = 16;

export class Connection {
  closed = false;
  private closeWaiters: Array<() => void> = [];
  private input: Frame[] = [];
  private inputHandler: ((frame: Frame) => Promise<void> | void) | null = null;
  private pumping = false;

  constructor(readonly socket: net.Socket) {
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }

  /** Frames the client sent after its request (server.ts); queued until a handler takes them. */
  pushInput(frames: Frame[]): void {
    if (frames.length === 0) return;
    this.input.push(...frames);
    if (this.input.length > INPUT_QUEUE_FRAMES) this.socket.pause();
    void this.pump();
  }

  /**
   * Hands every input frame, in order, to `handler`; the client is paused while it works. A client
   * that sends input never half-closes: its end means it is gone (killed, or detached).
   */
  onInput(handler: (frame: Frame) => Promise<void> | void): void {
    this.inputHandler = handler;
    this.socket.once('end', () => this.socket.destroy());
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping || !this.inputHandler) return;
    this.pumping = true;
    try {
      for (let f = this.input.shift(); f; f = this.input.shift()) {
        const pending = this.inputHandler(f);
        if (pending) {
          this.socket.pause(); // backpressure: the container's stdin sets the pace
          await pending;
        }
      }
    } finally {
      this.pumping = false;
      if (!this.closed) this.socket.resume();
    }
  }

  /** Resolves when the client has gone. */
  whenClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  reply(message: Reply): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(encodeJson(message));
  }

  /** Sends container output; resolves when the socket can take more (or the client is gone). */
  async data(buf: Buffer): Promise<void> {
    for (let off = 0; off < buf.length && !this.closed; off += MAX_DATA_FRAME) {
      const part = buf.subarray(off, off + MAX_DATA_FRAME);
      this.socket.write(encodeDataHeader(part.length));
      if (!this.socket.write(part)) await this.drained();
    }
  }

  end(message?: Reply): void {
    if (message) this.reply(message);
    if (!this.socket.destroyed) this.socket.end();
  }

  private drained(): Promise<void> {
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
}
