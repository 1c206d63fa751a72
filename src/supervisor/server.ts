// The control socket: accepts only peers whose uid is 0 or ours, reads exactly one framed
// request per connection within a deadline, and hands it to a handler. Nothing a client sends
// or fails to send can crash the supervisor: every path ends in a one-line error reply.

import net from 'node:net';
import type { Logger } from 'pino';
import { EngineError } from '../errors.js';
import { FrameDecoder, FrameError, MAX_REQUEST_BYTES } from '../protocol/framing.js';
import { parseRequest, type ValidRequest } from '../protocol/schema.js';
import { native } from '../native/addon.js';
import { Connection } from './connection.js';
import { handle } from './handlers.js';
import type { Supervisor } from './supervisor.js';

/** A client must send its whole request within this time of connecting. */
export const REQUEST_DEADLINE_MS = 5000;

export interface ControlServer {
  server: net.Server;
  connections: Set<Connection>;
  /** Requests being handled; shutdown waits for them so `run` clients get their final status. */
  inFlight: Set<Promise<void>>;
}

export function createControlServer(sup: Supervisor, log: Logger): ControlServer {
  const connections = new Set<Connection>();
  const inFlight = new Set<Promise<void>>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const conn = new Connection(socket);
    connections.add(conn);
    socket.on('close', () => connections.delete(conn));
    socket.on('error', (err) => log.debug({ err: err.message }, 'client socket error'));
    serve(sup, conn, log, inFlight);
  });
  server.on('error', (err) => log.error({ err: err.message }, 'control socket error'));
  return { server, connections, inFlight };
}

function peerAllowed(socket: net.Socket): { ok: boolean; uid?: number; pid?: number } {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return { ok: false };
  try {
    const cred = native().peerCred(fd);
    return { ok: cred.uid === 0 || cred.uid === process.getuid!(), uid: cred.uid, pid: cred.pid };
  } catch {
    return { ok: false };
  }
}

function fail(conn: Connection, err: unknown, log: Logger): void {
  const e =
    err instanceof EngineError
      ? err
      : err instanceof FrameError
        ? new EngineError('bad_request', err.message)
        : new EngineError('internal', (err as Error)?.message ?? String(err));
  if (e.code === 'internal') log.error({ err: (err as Error)?.stack ?? String(err) }, 'request failed');
  conn.end({ ok: false, error: { code: e.code, message: e.message.split('\n')[0] } });
}

function serve(sup: Supervisor, conn: Connection, log: Logger, inFlight: Set<Promise<void>>): void {
  const { socket } = conn;
  const peer = peerAllowed(socket);
  if (!peer.ok) {
    log.warn({ uid: peer.uid, pid: peer.pid }, 'refused a client: not root and not the supervisor user');
    fail(conn, new EngineError('bad_request', 'permission denied: only root or the supervisor user may use this socket'), log);
    return;
  }
  const decoder = new FrameDecoder(MAX_REQUEST_BYTES);
  let dispatched = false;
  // The verdict waits for one more poll phase (setImmediate runs after it): when the event loop
  // itself was busy, a request that arrived in time is still in the socket and is read first.
  const deadline = setTimeout(() => {
    setImmediate(() => {
      if (!dispatched && !socket.destroyed) fail(conn, new EngineError('bad_request', `no complete request within ${REQUEST_DEADLINE_MS} ms`), log);
    });
  }, REQUEST_DEADLINE_MS);
  socket.on('close', () => clearTimeout(deadline));
  socket.on('end', () => {
    if (!dispatched) {
      clearTimeout(deadline);
      fail(conn, new EngineError('bad_request', decoder.pendingBytes ? 'truncated request' : 'empty request'), log);
    }
  });
  socket.on('data', (chunk: Buffer) => {
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
      clearTimeout(deadline);
      fail(conn, err, log);
      return;
    }
    if (frames.length === 0) return;
    dispatched = true;
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
