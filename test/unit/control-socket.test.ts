// The control socket under pressure, without root: the connection cap (the oldest idle connection
// is the one closed, a connection being served never is), the client's retries of a busy
// supervisor (a busy reply; a full listen queue: EAGAIN), and each connect error worded for what
// it is. Servers here run as this user, so the client's peer check lets them through.

import anyTest, { type TestFn } from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Backoff, call, MIN_TRIES } from '../../src/cli/client.js';
import { EngineError } from '../../src/errors.js';
import { encodeJson, FrameDecoder } from '../../src/protocol/framing.js';
import { createControlServer, type ControlServer } from '../../src/supervisor/server.js';
import type { Supervisor } from '../../src/supervisor/supervisor.js';
import { until } from '../support/process.js';

const test = anyTest as TestFn<{ dir: string }>;

test.beforeEach((t) => {
  t.context.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-control-'));
});
test.afterEach.always((t) => fs.rmSync(t.context.dir, { recursive: true, force: true }));

/** Ends the stub's stops that are being served, oldest first. */
type Finish = Array<() => void>;

/** A control server over a stub supervisor whose stop ends only when told (a request being served). */
async function server(socket: string, maxConnections: number, finish: Finish = []): Promise<ControlServer> {
  const stub = {
    stop: (id: string) => new Promise((resolve) => finish.push(() => resolve({ container: { id }, note: undefined }))),
    snapshot: (c: { id: string }) => ({ id: c.id }),
  } as unknown as Supervisor;
  const cs = createControlServer(stub, pino({ level: 'silent' }), { maxConnections });
  await new Promise<void>((r) => cs.server.listen(socket, r));
  return cs;
}

/** Closes the server and every connection it holds, so nothing keeps the test process alive. */
function shut(cs: ControlServer): void {
  for (const c of cs.connections) c.socket.destroy();
  cs.server.close();
}

/** A raw client: what it receives, and whether it was closed. */
function raw(socket: string, send?: Buffer) {
  const s = net.connect(socket);
  const state = { s, got: Buffer.alloc(0), closed: false };
  s.on('connect', () => send && s.write(send));
  s.on('data', (d) => (state.got = Buffer.concat([state.got, d])));
  s.on('close', () => (state.closed = true));
  s.on('error', () => {});
  return state;
}

function firstReply(buf: Buffer): { ok: boolean; error?: { code: string; message: string } } {
  const first = new FrameDecoder(1 << 20).push(buf)[0];
  if (first?.kind !== 1) throw new Error('the reply does not start with a JSON frame');
  return first.message as never;
}

test('at the cap the oldest idle connection is closed with a busy reply; the others stay', async (t) => {
  const socket = path.join(t.context.dir, 's.sock');
  const cs = await server(socket, 4);
  try {
    const clients: Array<ReturnType<typeof raw>> = [];
    for (let i = 0; i < 4; i++) {
      clients.push(raw(socket));
      await until('accepted', () => cs.connections.size === i + 1);
    }
    const newest = raw(socket);
    await until('the oldest to be closed', () => clients[0].closed);
    t.like(firstReply(clients[0].got), { ok: false, error: { code: 'busy' } });
    t.regex(firstReply(clients[0].got).error!.message, /^the supervisor is busy: 4 connections are open \(its cap\); this one had not sent its request and was the oldest such$/);
    await until('the newest to be accepted', () => cs.connections.size === 4);
    t.deepEqual(clients.slice(1).map((c) => c.closed), [false, false, false]);
    t.false(newest.closed);
    for (const c of [...clients, newest]) c.s.destroy();
  } finally {
    shut(cs);
  }
});

test('connections being served are never dropped: a new one is told busy, and the client retries until a place is free', async (t) => {
  const socket = path.join(t.context.dir, 's.sock');
  const finish: Finish = [];
  const cs = await server(socket, 3, finish);
  try {
    const serving = [0, 1, 2].map((i) => raw(socket, encodeJson({ verb: 'stop', id: `c${i}` })));
    await until('all three being served', () => cs.connections.size === 3 && cs.idle.size === 0);
    const refused = await t.throwsAsync(call(socket, { verb: 'ping' }, { busyRetryMs: 300 }), { instanceOf: EngineError });
    t.is(refused?.code, 'busy');
    t.regex(refused!.message, /^the supervisor is busy: 3 connections are open \(its cap\)$/);
    t.deepEqual(serving.map((c) => c.closed), [false, false, false], 'the ones being served were left alone');
    // A place frees up while the client is retrying: it gets its answer.
    const answer = call(socket, { verb: 'ping' }, { busyRetryMs: 5000 });
    setTimeout(() => finish.shift()!(), 150);
    t.like(await answer, { ok: true, event: 'pong' });
    for (const c of serving) c.s.destroy();
  } finally {
    for (const f of finish.splice(0)) f();
    shut(cs);
  }
});

test('a full listen queue (EAGAIN): the client tries again with backoff, then says the supervisor is busy', async (t) => {
  const socket = path.join(t.context.dir, 's.sock');
  // A listener that never accepts: its event loop is blocked for good after listen.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen({ path: ${JSON.stringify(socket)}, backlog: 1 }, () => { console.log('ready'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); })`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((r) => child.stdout!.once('data', r));
    const held: net.Socket[] = [];
    let full = false;
    for (let i = 0; i < 64 && !full; i++) {
      full = await new Promise<boolean>((resolve) => {
        const s = net.connect(socket);
        held.push(s);
        s.on('connect', () => resolve(false));
        s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EAGAIN'));
      });
    }
    t.true(full, 'the queue filled');
    const began = Date.now();
    const err = await t.throwsAsync(call(socket, { verb: 'ping' }, { busyRetryMs: 400 }), { instanceOf: EngineError });
    t.true(Date.now() - began >= 350, 'it tried again for the budget');
    t.is(err?.code, 'busy');
    t.regex(err!.message, /^the supervisor at .*s\.sock is busy: its connection queue stayed full for 0\.4 s; try again$/);
    for (const s of held) s.destroy();
  } finally {
    child.kill('SIGKILL');
  }
});

test('a busy reply is tried again on a new connection, transparently', async (t) => {
  const socket = path.join(t.context.dir, 's.sock');
  let n = 0;
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.end(encodeJson(n++ < 2 ? { ok: false, error: { code: 'busy', message: 'busy' } } : { ok: true, event: 'pong', pid: 1, version: 1 })));
  });
  await new Promise<void>((r) => srv.listen(socket, r));
  try {
    t.like(await call(socket, { verb: 'ping' }), { ok: true, event: 'pong' });
    t.is(n, 3);
  } finally {
    srv.close();
  }
});

test('connect errors say what they mean: no supervisor, a stale socket', async (t) => {
  const missing = path.join(t.context.dir, 'none.sock');
  const e1 = await t.throwsAsync(call(missing, { verb: 'ps' }), { instanceOf: EngineError });
  t.is(e1?.message, `cannot reach the supervisor at ${missing} (ENOENT): is 'engine supervisor' running?`);
  // A socket file nobody listens on (a killed supervisor's): a hard link outlives the listener.
  const live = path.join(t.context.dir, 'live.sock');
  const stale = path.join(t.context.dir, 'stale.sock');
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(live, r));
  fs.linkSync(live, stale);
  await new Promise((r) => srv.close(r));
  const e2 = await t.throwsAsync(call(stale, { verb: 'ps' }), { instanceOf: EngineError });
  t.is(e2?.message, `cannot reach the supervisor at ${stale} (ECONNREFUSED): is 'engine supervisor' running?`);
});

test('a request over the limit is refused by the client, before it connects', async (t) => {
  const socket = path.join(t.context.dir, 's.sock');
  let connections = 0;
  const srv = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => srv.listen(socket, r));
  try {
    const words = Array.from({ length: 3 }, () => 'w'.repeat(100 * 1024));
    const err = await t.throwsAsync(call(socket, { verb: 'start', id: 'big', rootfs: '/r', command: words }), { instanceOf: EngineError });
    t.is(err?.code, 'invalid_argument');
    t.regex(err!.message, /^the request is \d+ bytes, over the 256 KiB a request may hold: the command and its arguments are too long$/);
    t.is(connections, 0);
  } finally {
    srv.close();
  }
});

test('a spent retry budget still allows the minimum tries (the client itself may have stalled past it)', async (t) => {
  const spent = new Backoff(0);
  const tries: boolean[] = [];
  for (let i = 0; i < MIN_TRIES + 1; i++) tries.push(await spent.wait());
  t.deepEqual(tries, [...Array(MIN_TRIES).fill(true), false]);
  // With time left, it goes on past the minimum until the budget is spent.
  const funded = new Backoff(60_000);
  for (let i = 0; i < MIN_TRIES + 2; i++) t.true(await funded.wait());
});
