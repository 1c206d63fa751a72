// One function per verb: validated request in, replies out through the connection.

import fs from 'node:fs';
import { conflict, EngineError, precondition } from '../errors.js';
import type { ValidRequest } from '../protocol/schema.js';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import type { Connection } from './connection.js';
import { streamLog } from './log-stream.js';
import type { Supervisor } from './supervisor.js';
import type { Container } from './container.js';
import { execInContainer } from './exec.js';
import { feedStdin, resizeOnly } from './stdin.js';
import { topOf } from './top.js';

export async function handle(sup: Supervisor, req: ValidRequest, conn: Connection): Promise<void> {
  switch (req.verb) {
    case 'ping':
      return conn.end({ ok: true, event: 'pong', pid: process.pid, version: PROTOCOL_VERSION });
    case 'info': {
      const info = sup.info();
      if (req.resetLoopDelay) sup.config.loopDelay?.reset();
      return conn.end({ ok: true, event: 'info', info });
    }
    case 'ps':
      return conn.end({ ok: true, event: 'list', records: sup.list() });
    case 'inspect': {
      const c = sup.get(req.id);
      if (req.spec) return conn.end({ ok: true, event: 'spec', spec: c.spec });
      return conn.end({ ok: true, event: 'record', record: sup.snapshot(c) });
    }
    case 'rm':
      await sup.rm(req.id);
      return conn.end({ ok: true, event: 'removed', id: req.id });
    case 'stop': {
      const { container, note } = await sup.stop(req.id, req.timeoutMs);
      return conn.end({ ok: true, event: 'stopped', record: sup.snapshot(container), note });
    }
    case 'start': {
      const c = await sup.start(req);
      return conn.end({ ok: true, event: 'started', record: c.startRecord ?? sup.snapshot(c) });
    }
    case 'run': {
      const c = await sup.start(req);
      let record;
      try {
        conn.reply({ ok: true, event: 'started', record: c.startRecord ?? sup.snapshot(c) });
        // -i: this client is the stdin's writer; its EOF (or its going away) closes the container's stdin.
        if (c.stdin && c.stdinOpen) feedStdin(c.stdin, conn, { closeStdin: true });
        else if (c.stdin) resizeOnly(c.stdin, conn);
        // Like `docker run`: the container's output, then its final status once all of it is logged.
        await streamLog(c, conn, { follow: true, from: 0 });
        await Promise.race([c.done, conn.whenClosed()]);
      } finally {
        await sup.records.written(c.record.id); // the final status is told once it is on disk
        record = sup.snapshot(c);
        // All of its output is sent: --rm removes it before the final status, so a client that
        // has seen `run` end finds neither record nor log.
        await sup.unhold(c);
      }
      return conn.end({ ok: true, event: 'exited', record });
    }
    case 'logs': {
      const c = sup.get(req.id);
      await streamLog(c, conn, { follow: req.follow ?? false, tail: req.tail });
      return conn.end({ ok: true, event: 'end' });
    }
    case 'exec':
      return execInContainer(sup, req, conn);
    case 'top': {
      const c = sup.get(req.id);
      return conn.end({ ok: true, event: 'top', id: req.id, processes: topOf(c) });
    }
    case 'attach':
      return attach(sup.get(req.id), req.stdin ?? true, conn, sup);
    default:
      throw new EngineError('bad_request', 'unknown verb');
  }
}

/**
 * engine attach: the container's output from now on, and its stdin (or terminal) when it was
 * started with -i, one writer at a time. Ends with the container (its final record) or when the
 * client detaches (closes the connection).
 */
async function attach(c: Container, wantStdin: boolean, conn: Connection, sup: Supervisor): Promise<void> {
  if (!c.live) throw precondition(`container ${c.record.id} is not running (${c.record.state}); nothing to attach to`);
  await c.launched;
  if (!c.live || c.exitSeen) throw precondition(`container ${c.record.id} is not running (${c.record.state}); nothing to attach to`);
  const writes = wantStdin && c.stdin !== null && c.stdinOpen;
  if (writes && c.stdin!.writer) {
    throw conflict(`container ${c.record.id} already has a client writing to its stdin; attach with --no-stdin to only read`);
  }
  // Held like a run's client: a --rm container is removed only once this client has all of its
  // output and its final status, never under it.
  c.holds++;
  let record;
  try {
    // Output from here on: the offset is taken before the client may type, so the answer to its
    // first key (a shell's prompt) is never before it.
    const from = await fs.promises.stat(c.record.logPath).then((st) => st.size, () => 0);
    conn.reply({ ok: true, event: 'attached', record: sup.snapshot(c), stdin: writes, tty: c.stdin?.tty ?? false });
    if (writes) feedStdin(c.stdin!, conn, { closeStdin: false });
    else if (c.stdin) resizeOnly(c.stdin, conn);
    await streamLog(c, conn, { follow: true, from });
    await Promise.race([c.done, conn.whenClosed()]);
  } finally {
    await sup.records.written(c.record.id);
    record = sup.snapshot(c);
    await sup.unhold(c);
  }
  return conn.end({ ok: true, event: 'exited', record });
}
