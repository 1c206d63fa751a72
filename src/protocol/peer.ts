// Who is at the other end of a control-socket connection (SO_PEERCRED), for both sides: the
// supervisor serves only root and its own user, and the client talks only to a supervisor run by
// root or by itself, so neither side can be impersonated by another user who got to the socket.

import type net from 'node:net';
import { native } from '../native/addon.js';

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

/** The credentials of the peer of a connected UNIX socket, or null when they cannot be read. */
export function peerOf(socket: net.Socket): PeerCred | null {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  try {
    return native().peerCred(fd);
  } catch {
    return null;
  }
}

/** Root, or the same user as this process: the only peers either side trusts. */
export function trustedUid(uid: number): boolean {
  return uid === 0 || uid === process.getuid!();
}
