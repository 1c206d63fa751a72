// The client side of the control socket: one connection per request, frames in order.
// Before it sends anything the client checks who serves the socket (SO_PEERCRED): root or its own
// user, never anyone else, since a request can carry secrets and a reply is believed. A busy
// supervisor (its queue full: EAGAIN; or at its connection cap: a `busy` reply, sent before
// anything was done) is tried again with backoff for a few seconds.

import net from 'node:net';
import { EngineError } from '../errors.js';
import { encodeJson, FrameDecoder, MAX_REQUEST_BYTES, sizeText, type Frame } from '../protocol/framing.js';
import type { Reply, Request } from '../protocol/messages.js';
import { peerOf, trustedUid } from '../protocol/peer.js';

export const DEFAULT_SOCKET = '/tmp/mini_runtime.sock';

/** How long a busy supervisor is tried again before the client gives up. */
export const BUSY_RETRY_MS = 5000;
const FIRST_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 250;

export function socketPath(option?: string): string {
  return option || process.env.ENGINE_SOCKET || DEFAULT_SOCKET;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Tries that every request gets, however long the waits took. The budget is wall time, and on a
 * loaded host the client's own process can stall past it between connect and write; the
 * supervisor then closes the connection unread (its request deadline), and the EPIPE that follows
 * must still be tried again: a request that was never read is safe to send again.
 */
export const MIN_TRIES = 3;

/** Backoff delays (with jitter, so retrying clients spread out) until the budget is spent. */
export class Backoff {
  private readonly until: number;
  private next = FIRST_BACKOFF_MS;
  private tries = 0;

  constructor(readonly budgetMs: number) {
    this.until = Date.now() + budgetMs;
  }

  /** Waits before the next try; false when there is no time left and the minimum tries are used. */
  async wait(): Promise<boolean> {
    const left = this.until - Date.now();
    if (left <= 0 && this.tries >= MIN_TRIES) return false;
    this.tries++;
    await sleep(Math.min(this.next * (0.5 + Math.random()), Math.max(left, FIRST_BACKOFF_MS)));
    this.next = Math.min(this.next * 2, MAX_BACKOFF_MS);
    return true;
  }
}

/** One line for a failed connect, naming what it means for the user. */
function connectError(path: string, err: NodeJS.ErrnoException, budgetMs: number): EngineError {
  switch (err.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new EngineError('unavailable', `cannot reach the supervisor at ${path} (${err.code}): is 'engine supervisor' running?`);
    case 'EACCES':
    case 'EPERM':
      return new EngineError('permission_denied', `cannot reach the supervisor at ${path}: permission denied: run as root (or as the supervisor's user)`);
    case 'EAGAIN':
      return new EngineError('busy', `the supervisor at ${path} is busy: its connection queue stayed full for ${budgetMs / 1000} s; try again`);
    default:
      return new EngineError('unavailable', `cannot reach the supervisor at ${path} (${err.code ?? err.message})`);
  }
}

/** Connects; resolves only with a socket served by root or by this user. */
function connectTrusted(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      const peer = peerOf(socket);
      if (!peer || !trustedUid(peer.uid)) {
        socket.destroy();
        const who = peer ? `uid ${peer.uid} (pid ${peer.pid})` : 'a process whose credentials cannot be read';
        reject(
          new EngineError(
            'permission_denied',
            `refusing to talk to ${path}: it is served by ${who}, not by root or by you, so it is not a supervisor to trust (another user may have bound it first); nothing was sent. Stop that process, or use a socket in a root-owned directory: --socket /run/engine/engine.sock`,
          ),
        );
        return;
      }
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** A trusted connection, trying again while the supervisor's queue is full. */
async function connect(path: string, backoff: Backoff): Promise<net.Socket> {
  for (;;) {
    try {
      return await connectTrusted(path);
    } catch (err) {
      if (err instanceof EngineError) throw err;
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EAGAIN' && (await backoff.wait())) continue;
      throw connectError(path, e, backoff.budgetMs);
    }
  }
}

/** The request as a frame; a request over the limit is refused here, with the sizes. */
function requestFrame(request: Request): Buffer {
  const frame = encodeJson(request);
  const body = frame.length - 5;
  if (body > MAX_REQUEST_BYTES) {
    throw new EngineError('invalid_argument', `the request is ${body} bytes, over the ${sizeText(MAX_REQUEST_BYTES)} a request may hold: the command and its arguments are too long`);
  }
  return frame;
}

export interface ClientOptions {
  /** how long a busy supervisor is tried again (default BUSY_RETRY_MS) */
  busyRetryMs?: number;
}

export class Client {
  private frames: Frame[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  private error: Error | null = null;
  private decoder = new FrameDecoder(64 * 1024 * 1024, 'a reply');
  /** frames received on this connection (a `busy` reply can only be the first) */
  private received = 0;
  socket!: net.Socket;

  private constructor(
    readonly path: string,
    private readonly frame: Buffer,
    private readonly backoff: Backoff,
  ) {}

  private attach(socket: net.Socket): void {
    this.socket = socket;
    this.frames = [];
    this.ended = false;
    this.error = null;
    this.received = 0;
    this.decoder = new FrameDecoder(64 * 1024 * 1024, 'a reply');
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      try {
        this.frames.push(...this.decoder.push(chunk));
      } catch (err) {
        this.error = err as Error;
        socket.destroy();
      }
      this.wake();
    });
    const end = () => {
      if (this.socket !== socket) return;
      this.ended = true;
      this.wake();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', (err) => {
      if (this.socket !== socket) return;
      this.error ??= err;
      this.wake();
    });
    socket.write(this.frame);
  }

  static async open(path: string, request: Request, opts: ClientOptions = {}): Promise<Client> {
    const backoff = new Backoff(opts.busyRetryMs ?? BUSY_RETRY_MS);
    const client = new Client(path, requestFrame(request), backoff);
    client.attach(await connect(path, backoff));
    return client;
  }

  /** The next frame, or null when the supervisor closed the connection. */
  async next(): Promise<Frame | null> {
    for (;;) {
      const f = this.frames.shift();
      if (f) {
        this.received++;
        return f;
      }
      if (this.error) throw new EngineError('unavailable', `connection to the supervisor failed: ${this.error.message}`);
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** The next JSON reply; data frames go to onData. Throws the supervisor's error replies. */
  async reply(onData?: (data: Buffer) => void | Promise<void>): Promise<Reply> {
    for (;;) {
      const first = this.received === 0;
      const f = await this.next().catch(async (err) => {
        // EPIPE on the request's write: the supervisor closed before it read the request (a busy
        // reply we could not read first), so it did not act on it: the same request again.
        if (first && (this.error as NodeJS.ErrnoException | null)?.code === 'EPIPE' && (await this.backoff.wait())) return 'again' as const;
        throw err;
      });
      if (f === 'again') {
        this.socket.destroy();
        this.attach(await connect(this.path, this.backoff));
        continue;
      }
      if (!f) throw new EngineError('unavailable', 'the supervisor closed the connection without answering');
      if (f.kind === 2) {
        if (onData) await onData(f.data);
        continue;
      }
      const reply = f.message as Reply;
      if (!reply.ok) {
        // Busy: the request was not looked at. The same request again, on a new connection.
        if (reply.error.code === 'busy' && first && (await this.backoff.wait())) {
          this.socket.destroy();
          this.attach(await connect(this.path, this.backoff));
          continue;
        }
        throw new EngineError(reply.error.code, reply.error.message);
      }
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
export async function call(path: string, request: Request, opts: ClientOptions = {}): Promise<Reply> {
  const client = await Client.open(path, request, opts);
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
