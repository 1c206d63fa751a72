// The control server's request deadline against a busy event loop: a request that reached the
// socket in time must be served even when the loop only gets to it after the deadline is due.

import test from 'ava';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { encodeJson, FrameDecoder } from '../../src/protocol/framing.js';
import { createControlServer } from '../../src/supervisor/server.js';

// Shorter than the real 5 s: the loop is kept busy past it, and a busy loop here is a busy CPU.
const DEADLINE_MS = 300;
import type { Supervisor } from '../../src/supervisor/supervisor.js';

function busyFor(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* the event loop is blocked, as by a long synchronous piece of work */
  }
}

test('a request sent in time is served although the loop was blocked past the deadline', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-deadline-'));
  const socketPath = path.join(dir, 's.sock');
  const { server } = createControlServer({} as Supervisor, pino({ level: 'silent' }), { requestDeadlineMs: DEADLINE_MS });
  await new Promise<void>((r) => server.listen(socketPath, r));
  try {
    const client = net.connect(socketPath);
    const frames = new FrameDecoder(1 << 20);
    const replies: unknown[] = [];
    client.on('data', (d) => replies.push(...frames.push(d).map((f) => (f.kind === 1 ? f.message : null))));
    const closed = new Promise((r) => client.on('close', r));
    await new Promise((r) => client.on('connect', r));
    await new Promise((r) => setTimeout(r, 100)); // the server has accepted it: its deadline is armed
    // Outside the timers phase: send the request (it reaches the socket at once), then keep the
    // loop busy until the deadline is due. The next loop iteration runs due timers before it polls
    // the sockets, so the deadline fires while the request waits unread.
    setImmediate(() => {
      client.write(encodeJson({ verb: 'ping' }));
      busyFor(DEADLINE_MS + 200);
    });
    await closed;
    t.is(replies.length, 1);
    t.like(replies[0] as object, { ok: true, event: 'pong', pid: process.pid });
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
