// One function per verb: validated request in, replies out through the connection.

import { EngineError } from '../errors.js';
import type { ValidRequest } from '../protocol/schema.js';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import type { Connection } from './connection.js';
import { streamLog } from './log-stream.js';
import type { Supervisor } from './supervisor.js';

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
      return conn.end({ ok: true, event: 'started', record: sup.snapshot(c) });
    }
    case 'run': {
      const c = await sup.start(req);
      let record;
      try {
        conn.reply({ ok: true, event: 'started', record: sup.snapshot(c) });
        // Like `docker run`: the container's output, then its final status once all of it is logged.
        await streamLog(c, conn, { follow: true, from: 0 });
        await Promise.race([c.done, conn.whenClosed()]);
      } finally {
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
    default:
      throw new EngineError('bad_request', 'unknown verb');
  }
}
