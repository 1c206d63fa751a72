// The control socket: accepts only peers whose uid is 0 or ours, reads exactly one framed
// request per connection within a deadline, and hands it to a handler. Nothing a client sends
// or fails to send can crash the supervisor: every path ends in a one-line error reply.
// At most `maxConnections` are open at once (a flood must not take every descriptor): at the cap,
// the oldest connection that has not sent its request yet is closed with a `busy` reply (clients
// retry those), or the new one when every open connection is being served.

import fs from 'node:fs';
import net from 'node:net';
import type { Logger } from 'pino';
import { EngineError } from '../errors.js';
import { FrameDecoder, FrameError, MAX_REQUEST_BYTES } from '../protocol/framing.js';
import { parseRequest, type ValidRequest } from '../protocol/schema.js';
import { peerOf, trustedUid } from '../protocol/peer.js';
import { Connection } from './connection.js';
import { MemoryReturn } from './memory-return.js';
import { handle } from './handlers.js';
import type { Supervisor } from './supervisor.js';

/** A client must send its whole request within this time of connecting. */
export const REQUEST_DEADLINE_MS = 5000;

/** The cap on open connections: a quarter of the descriptor limit, at most 1024, at least 64. */
export function defaultConnectionCap(): number {
  let nofile = 1024;
  try {
    const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    if (m) nofile = Number(m[1]);
  } catch {
    /* not Linux procfs: the usual default */
  }
  return Math.max(64, Math.min(1024, Math.floor(nofile / 4)));
}

export interface ControlServerOptions {
  /** how long a client has to send a complete request (default REQUEST_DEADLINE_MS) */
  requestDeadlineMs?: number;
  maxConnections?: number;
}

export interface ControlServer {
  server: net.Server;
  connections: Set<Connection>;
  /** connections that have not sent a whole request yet, oldest first */
  idle: Set<Connection>;
  maxConnections: number;
  /** Requests being handled; shutdown waits for them so `run` clients get their final status. */
  inFlight: Set<Promise<void>>;
}

export function createControlServer(sup: Supervisor, log: Logger, opts: ControlServerOptions = {}): ControlServer {
  const connections = new Set<Connection>();
  const idle = new Set<Connection>();
  const inFlight = new Set<Promise<void>>();
  const maxConnections = opts.maxConnections ?? defaultConnectionCap();
  const deadlineMs = opts.requestDeadlineMs ?? REQUEST_DEADLINE_MS;
  let dropped = 0;
  let lastDropLog = 0;
  const memory = new MemoryReturn();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const conn = new Connection(socket);
    memory.opened();
    socket.on('error', (err) => log.debug({ err: err.message }, 'client socket error'));
    if (connections.size >= maxConnections) {
      const oldest = idle.values().next().value as Connection | undefined;
      const victim = oldest ?? conn;
      idle.delete(victim);
      connections.delete(victim);
      victim.end({ ok: false, error: { code: 'busy', message: `the supervisor is busy: ${maxConnections} connections are open (its cap)${oldest ? '; this one had not sent its request and was the oldest such' : ''}` } });
      dropped++;
      // One line a second at most: a flood must not also flood the log.
      if (Date.now() - lastDropLog > 1000) {
        lastDropLog = Date.now();
        log.warn({ maxConnections, dropped }, 'connection cap reached: closing the oldest idle connections');
      }
      if (victim === conn) return;
    }
    connections.add(conn);
    idle.add(conn);
    socket.on('close', () => {
      connections.delete(conn);
      idle.delete(conn);
      memory.closed(connections.size);
    });
    serve(sup, conn, log, inFlight, () => idle.delete(conn), deadlineMs);
  });
  server.on('error', (err) => log.error({ err: err.message }, 'control socket error'));
  return { server, connections, idle, maxConnections, inFlight };
}

/** Error replies are one line of reasonable length, whatever a message quoted. */
export const MAX_ERROR_MESSAGE = 1000;

function oneLine(message: string): string {
  const first = message.split('\n')[0];
  return first.length > MAX_ERROR_MESSAGE ? `${first.slice(0, MAX_ERROR_MESSAGE - 3)}...` : first;
}

function fail(conn: Connection, err: unknown, log: Logger): void {
  const e =
    err instanceof EngineError
      ? err
      : err instanceof FrameError
        ? new EngineError('bad_request', err.message)
        : new EngineError('internal', (err as Error)?.message ?? String(err));
  if (e.code === 'internal') log.error({ err: (err as Error)?.stack ?? String(err) }, 'request failed');
  const reply = { ok: false as const, error: { code: e.code, message: oneLine(e.message) } };
  // A frame refused by its header: the client may still be sending the rest of it.
  if (err instanceof FrameError) conn.endDraining(reply);
  else conn.end(reply);
}

function serve(sup: Supervisor, conn: Connection, log: Logger, inFlight: Set<Promise<void>>, busy: () => void, deadlineMs: number): void {
  const { socket } = conn;
  const peer = peerOf(socket);
  if (!peer || !trustedUid(peer.uid)) {
    // pino's own `pid` is the supervisor's: the client's are peerPid and peerUid.
    log.warn({ peerUid: peer?.uid ?? null, peerPid: peer?.pid ?? null }, 'refused a client: not root and not the supervisor user');
    fail(conn, new EngineError('permission_denied', 'permission denied: only root or the supervisor user may use this socket'), log);
    return;
  }
  const decoder = new FrameDecoder(MAX_REQUEST_BYTES, 'a request');
  let dispatched = false;
  let refused = false;
  // The verdict waits for one more poll phase (setImmediate runs after it): when the event loop
  // itself was busy, a request that arrived in time is still in the socket and is read first.
  const deadline = setTimeout(() => {
    setImmediate(() => {
      if (!dispatched && !socket.destroyed) fail(conn, new EngineError('bad_request', `no complete request within ${deadlineMs} ms`), log);
    });
  }, deadlineMs);
  socket.on('close', () => clearTimeout(deadline));
  socket.on('end', () => {
    if (!dispatched) {
      clearTimeout(deadline);
      fail(conn, new EngineError('bad_request', decoder.pendingBytes ? 'truncated request' : 'empty request'), log);
    }
  });
  socket.on('data', (chunk: Buffer) => {
    if (refused) return; // the rest of a refused frame: read and dropped (Connection.endDraining)
    if (dispatched) {
      // One request per connection; what follows is input for it (stdin of exec, run -i, attach).
      try {
        conn.pushInput(decoder.push(chunk));
      } catch {
        socket.destroy();
      }
      return;
    }
    let frames;
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      dispatched = true;
      refused = true;
      busy();
      clearTimeout(deadline);
      fail(conn, err, log);
      return;
    }
    if (frames.length === 0) return;
    dispatched = true;
    busy(); // being served: no longer a candidate for the cap
    clearTimeout(deadline);
    const frame = frames[0];
    conn.pushInput(frames.slice(1));
    if (frame.kind !== 1) return fail(conn, new EngineError('bad_request', 'a request must be a JSON frame'), log);
    // Starts that arrive together (a burst of clients) are validated and begun a turn of the
    // event loop apart (validation and a start's first steps are synchronous); everything else is
    // answered at once, so a ps never queues behind a burst of starts.
    const verb = (frame.message as { verb?: unknown } | null)?.verb;
    const paced = verb === 'start' || verb === 'run';
    const work = (paced ? sup.turns.run(() => parseRequest(frame.message)) : new Promise<ValidRequest>((resolve) => resolve(parseRequest(frame.message))))
      .then((req) => {
        log.debug({ verb: req.verb }, 'request');
        return handle(sup, req, conn);
      })
      .catch((err) => fail(conn, err, log));
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  });
}
