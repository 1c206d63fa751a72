// The client side of the control socket: one connection per request, frames in order.

import net from 'node:net';
import { EngineError } from '../errors.js';
import { encodeJson, FrameDecoder, type Frame } from '../protocol/framing.js';
import type { Reply, Request } from '../protocol/messages.js';

export const DEFAULT_SOCKET = '/tmp/mini_runtime.sock';

export function socketPath(option?: string): string {
  return option || process.env.ENGINE_SOCKET || DEFAULT_SOCKET;
}

export class Client {
  private frames: Frame[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  private error: Error | null = null;
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024);

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        this.frames.push(...this.decoder.push(chunk));
      } catch (err) {
        this.error = err as Error;
        socket.destroy();
      }
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', (err) => {
      this.error ??= err;
      this.wake();
    });
  }

  static open(path: string, request: Request): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(path);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        const client = new Client(socket);
        socket.write(encodeJson(request));
        resolve(client);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        reject(new EngineError('unavailable', `cannot reach the supervisor at ${path} (${err.code ?? err.message}): is 'engine supervisor' running?`));
      });
    });
  }

  /** The next frame, or null when the supervisor closed the connection. */
  async next(): Promise<Frame | null> {
    for (;;) {
      const f = this.frames.shift();
      if (f) return f;
      if (this.error) throw new EngineError('unavailable', `connection to the supervisor failed: ${this.error.message}`);
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** The next JSON reply; data frames go to onData. Throws the supervisor's error replies. */
  async reply(onData?: (data: Buffer) => void | Promise<void>): Promise<Reply> {
    for (;;) {
      const f = await this.next();
      if (!f) throw new EngineError('unavailable', 'the supervisor closed the connection without answering');
      if (f.kind === 2) {
        if (onData) await onData(f.data);
        continue;
      }
      const reply = f.message as Reply;
      if (!reply.ok) throw new EngineError(reply.error.code, reply.error.message);
      return reply;
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

/** One request, one reply. */
export async function call(path: string, request: Request): Promise<Reply> {
  const client = await Client.open(path, request);
  try {
    return await client.reply();
  } finally {
    client.close();
  }
}

/** Writes to stdout, waiting when the pipe is full (so `engine logs | head` and big logs work). */
export function writeOut(data: Buffer): Promise<void> | void {
  if (!process.stdout.write(data)) return new Promise((resolve) => process.stdout.once('drain', resolve));
}
