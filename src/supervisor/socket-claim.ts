// Taking the control socket's path at start-up (CONTRACT.md, the socket). What is there decides:
//   nothing, or a socket nobody listens on (a killed supervisor's) -> ours;
//   a socket answered by root or by our own user -> another supervisor: refuse to start, never
//     take it away;
//   a socket answered by any other user -> an impostor (anyone can bind a name in /tmp first):
//     logged, and replaced atomically (bound under a private name, renamed over it), so there is
//     no moment at which it could bind the name again.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { encodeJson, FrameDecoder } from '../protocol/framing.js';
import { peerOf, trustedUid } from '../protocol/peer.js';

/** A start-up problem: one line on stderr, exit 1. */
export class DaemonError extends Error {}

/** Connections the kernel queues for the supervisor before a client's connect gets EAGAIN. */
export const LISTEN_BACKLOG = 1024;

export type Occupant =
  | { kind: 'absent' }
  | { kind: 'not-socket' }
  /** a socket file nobody listens on */
  | { kind: 'stale' }
  /** root or our own user listens: a supervisor (pid when it answered a ping) */
  | { kind: 'supervisor'; pid?: number; uid?: number }
  /** another user listens */
  | { kind: 'hostile'; uid: number; pid: number }
  /** a socket we may not connect to (another user's, mode 0600) */
  | { kind: 'forbidden' };

/** What is at socketPath. Sends nothing to a peer that is not root or our own user. */
export async function occupantOf(socketPath: string, timeoutMs = 1000): Promise<Occupant> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch {
    return { kind: 'absent' };
  }
  if (!st.isSocket()) return { kind: 'not-socket' };
  return new Promise((resolve) => {
    const sock = net.connect(socketPath);
    const decoder = new FrameDecoder(1 << 20);
    let timer: NodeJS.Timeout | undefined;
    const done = (o: Occupant) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(o);
    };
    sock.on('connect', () => {
      const peer = peerOf(sock);
      if (peer && !trustedUid(peer.uid)) return done({ kind: 'hostile', uid: peer.uid, pid: peer.pid });
      // Something of ours accepted the connection: a supervisor, even if it does not answer in time.
      timer = setTimeout(() => done({ kind: 'supervisor', uid: peer?.uid }), timeoutMs);
      sock.write(encodeJson({ verb: 'ping' }));
    });
    sock.on('data', (chunk) => {
      try {
        const frames = decoder.push(chunk);
        if (frames.length) done({ kind: 'supervisor', pid: (frames[0] as { message?: { pid?: number } }).message?.pid });
      } catch {
        done({ kind: 'supervisor' }); // not our protocol, but alive and trusted: not ours to remove
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') done({ kind: 'stale' });
      else if (err.code === 'EACCES' || err.code === 'EPERM') done({ kind: 'forbidden' });
      else done({ kind: 'supervisor' }); // EAGAIN: a listener with a full queue is alive
    });
  });
}

function listenAt(server: net.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // The socket is created 0600: only root and the supervisor's user reach it (and SO_PEERCRED
    // checks the uid of every client as well).
    const old = process.umask(0o177);
    const onError = (err: Error) => {
      process.umask(old);
      reject(err);
    };
    server.once('error', onError);
    server.listen({ path: socketPath, backlog: LISTEN_BACKLOG }, () => {
      process.umask(old);
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Listens on socketPath for the server, as the header says. Resolves with the socket file's
 * identity (the supervisor removes the path at exit only if it still names this file).
 */
export async function claimSocket(server: net.Server, socketPath: string, log: Logger): Promise<fs.Stats> {
  warnIfOthersCanBind(socketPath, log);
  for (let attempt = 1; ; attempt++) {
    const occupant = await occupantOf(socketPath);
    refuseIfTaken(occupant, socketPath);
    if (occupant.kind === 'hostile') {
      log.warn(
        { socket: socketPath, peerUid: occupant.uid, peerPid: occupant.pid },
        `${socketPath} was bound by another user (uid ${occupant.uid}, pid ${occupant.pid}), not a supervisor of root or ours: an impostor; replacing it`,
      );
      await replace(server, socketPath);
      return fs.lstatSync(socketPath);
    }
    if (occupant.kind === 'stale') {
      try {
        fs.unlinkSync(socketPath); // left by a supervisor that was killed
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new DaemonError(`cannot remove the stale socket ${socketPath}: ${(err as Error).message}`);
      }
    }
    try {
      await listenAt(server, socketPath);
      return fs.lstatSync(socketPath);
    } catch (err) {
      // Someone bound the name between the look and the bind: look again (a few times).
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
      throw new DaemonError(`cannot listen on ${socketPath}: ${(err as Error).message}`);
    }
  }
}

/** Throws the reason a supervisor cannot have socketPath, if there is one. */
export function refuseIfTaken(occupant: Occupant, socketPath: string): void {
  if (occupant.kind === 'not-socket') throw new DaemonError(`${socketPath} exists and is not a socket; remove it or use --socket`);
  if (occupant.kind === 'supervisor') throw new DaemonError(`another supervisor${occupant.pid ? ` (pid ${occupant.pid})` : ''} is answering on ${socketPath}`);
  if (occupant.kind === 'forbidden') throw new DaemonError(`${socketPath} belongs to another user's supervisor (permission denied); use --socket`);
}

/** Binds under a private name beside the path, then renames it over the path (atomic). */
async function replace(server: net.Server, socketPath: string): Promise<void> {
  const tmp = path.join(path.dirname(socketPath), `.${path.basename(socketPath)}.${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    await listenAt(server, tmp);
    fs.renameSync(tmp, socketPath);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new DaemonError(`cannot replace ${socketPath}: ${(err as Error).message}`);
  }
}

/** A socket in a directory others may write to can be bound first by any of them (docs). */
function warnIfOthersCanBind(socketPath: string, log: Logger): void {
  try {
    const dir = path.dirname(path.resolve(socketPath));
    const st = fs.statSync(dir);
    if (st.mode & 0o002 || (st.uid !== 0 && st.uid !== process.getuid!())) {
      log.warn(
        { socket: socketPath, dir, dirMode: (st.mode & 0o7777).toString(8), dirUid: st.uid },
        `the socket's directory ${dir} can be written by other users: one of them could bind ${path.basename(socketPath)} while no supervisor runs; on a shared machine use a root-owned 0700 or 0750 directory (e.g. --socket /run/engine/engine.sock)`,
      );
    }
  } catch {
    /* the listen reports a missing directory */
  }
}
