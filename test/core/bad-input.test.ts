// Bad input of every kind gets one clear line and a non-zero exit; the supervisor survives all of
// it and keeps every record.

import anyTest, { type TestFn } from 'ava';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { encodeJson } from '../../src/protocol/framing.js';
import { firstMessage, rawExchange, runEngine, Supervisor } from '../support/harness.js';
import { until } from '../support/process.js';
import { e2eSkipReason, when } from '../support/skip.js';

const test = anyTest as TestFn<{ sup: Supervisor; rootfs: string }>;
const e2e = when(test, e2eSkipReason);

test.before(async (t) => {
  if (e2eSkipReason) return;
  t.context.sup = await Supervisor.start();
  t.context.rootfs = await t.context.sup.rootfs('shared-rootfs');
});
test.after.always(async (t) => {
  await t.context.sup?.stop();
});

/** One clear line on stderr and exit 125. */
async function rejected(t: any, args: string[], pattern: RegExp): Promise<void> {
  const r = await t.context.sup.engine(...args);
  t.is(r.code, 125, `${args.join(' ')} -> ${r.stderr}`);
  t.regex(r.stderr, pattern);
  t.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  t.is(r.stdout, '');
}

e2e('invalid ids', async (t) => {
  const { rootfs } = t.context;
  for (const id of ['.hidden', 'a/b', 'sp ace', 'x'.repeat(65), 'é', '-']) {
    await rejected(t, ['start', id, rootfs, '/bin/true'], /invalid id/);
  }
  // A leading dash reads as an option before COMMAND; after --, it reaches the id check.
  await rejected(t, ['start', '-dash', rootfs, '/bin/true'], /unknown option '-dash'/);
  await rejected(t, ['start', '--', '-dash', rootfs, '/bin/true'], /invalid id "-dash"/);
  await rejected(t, ['start', '', rootfs, '/bin/true'], /invalid id/);
});

e2e('a 64-character id with dots, dashes and underscores is fine', async (t) => {
  const id = 'a_b.c-' + 'x'.repeat(58);
  const r = await t.context.sup.engine('run', id, await t.context.sup.rootfs(), '/bin/true');
  t.is(r.code, 0, r.stderr);
});

e2e('duplicate id of a live container', async (t) => {
  const sup = t.context.sup;
  await sup.engine('start', 'bad-dup', await sup.rootfs(), '/probe', 'hold');
  await rejected(t, ['start', 'bad-dup', await sup.rootfs(), '/bin/true'], /already in use by a running container/);
  await sup.engine('stop', 'bad-dup', '-t', '0');
});

e2e('rootfs: missing, not a directory, the host /', async (t) => {
  await rejected(t, ['start', 'bad-r1', '/nonexistent/dir', '/bin/true'], /rootfs \/nonexistent\/dir does not exist/);
  const file = path.join(t.context.sup.dir, 'plainfile');
  fs.writeFileSync(file, 'x');
  await rejected(t, ['start', 'bad-r2', file, '/bin/true'], /is not a directory/);
  await rejected(t, ['start', 'bad-r3', '/', '/bin/true'], /host's \//);
  await rejected(t, ['start', 'bad-r4', '/tmp/..', '/bin/true'], /host's \//);
});

e2e('rootfs in use by a live container, also through a symlink or ..', async (t) => {
  const sup = t.context.sup;
  const rootfs = await sup.rootfs('inuse');
  await sup.engine('start', 'bad-holder', rootfs, '/probe', 'hold');
  const link = path.join(sup.dir, 'inuse-link');
  fs.symlinkSync(rootfs, link);
  await rejected(t, ['start', 'bad-use1', rootfs, '/bin/true'], /rootfs already in use by container 'bad-holder'/);
  await rejected(t, ['start', 'bad-use2', link, '/bin/true'], /in use by container 'bad-holder'/);
  await rejected(t, ['start', 'bad-use3', `${rootfs}/../inuse`, '/bin/true'], /in use by container 'bad-holder'/);
  await rejected(t, ['start', 'bad-use4', `${rootfs}/bin/..`, '/bin/true'], /in use by container 'bad-holder'/);
  await sup.engine('stop', 'bad-holder', '-t', '0');
  // An ended container frees its rootfs at once.
  const r = await sup.engine('run', 'bad-use5', link, '/bin/true');
  t.is(r.code, 0, r.stderr);
});

e2e('limits and nice', async (t) => {
  const { rootfs } = t.context;
  await rejected(t, ['start', 'bad-l1', rootfs, '/bin/true', '--soft-mib', '65', '--hard-mib', '64'], /--soft-mib \(65\) must not be greater than --hard-mib \(64\)/);
  await rejected(t, ['start', 'bad-l2', rootfs, '/bin/true', '--soft-mib', 'lots'], /--soft-mib must be a number/);
  await rejected(t, ['start', 'bad-l3', rootfs, '/bin/true', '--hard-mib', '0'], /--hard-mib must be a positive whole number/);
  await rejected(t, ['start', 'bad-l4', rootfs, '/bin/true', '--hard-mib', '-5'], /--hard-mib must be a positive whole number/);
  await rejected(t, ['start', 'bad-l5', rootfs, '/bin/true', '--soft-mib', '1.5'], /--soft-mib must be a positive whole number/);
  await rejected(t, ['start', 'bad-n1', rootfs, '/bin/true', '--nice', '20'], /--nice must be between -20 and 19/);
  await rejected(t, ['start', 'bad-n2', rootfs, '/bin/true', '--nice', '-21'], /--nice must be between -20 and 19/);
  await rejected(t, ['start', 'bad-n3', rootfs, '/bin/true', '--nice', 'x'], /--nice must be a number/);
  // soft == hard is allowed, and so are the extremes of nice.
  t.is((await t.context.sup.engine('run', 'bad-ok1', await t.context.sup.rootfs(), '/bin/true', '--soft-mib', '64', '--hard-mib', '64', '--nice', '-20')).code, 0);
});

e2e('unknown flags before COMMAND, missing arguments', async (t) => {
  const { rootfs } = t.context;
  await rejected(t, ['start', '--bogus', 'bad-f1', rootfs, '/bin/true'], /unknown option '--bogus'/);
  await rejected(t, ['start', 'bad-f2', rootfs], /missing required argument 'command'/);
  await rejected(t, ['ps', '--bogus'], /unknown option/);
  await rejected(t, ['logs'], /missing required argument 'id'/);
  await rejected(t, ['stop', 'x', '-t', 'soon'], /--time must be a number of seconds/);
  await rejected(t, ['logs', 'x', '-n', 'many'], /--tail must be a number/);
});

e2e('unknown container', async (t) => {
  for (const verb of ['inspect', 'stop', 'rm', 'logs']) await rejected(t, [verb, 'no-such-container'], /no such container: no-such-container/);
});

test('no arguments or an unknown verb: Usage on stderr naming every verb, exit 1', async (t) => {
  for (const args of [[], ['frobnicate']]) {
    const r = await runEngine(args);
    t.is(r.code, 1);
    t.regex(r.stderr, /Usage:/);
    for (const verb of ['supervisor', 'start', 'run', 'ps', 'logs', 'stop', 'rm', 'inspect']) t.true(r.stderr.includes(`  ${verb} `), verb);
    t.is(r.stdout, '');
  }
});

test('VERB --help: help on stdout, exit 0', async (t) => {
  for (const verb of ['supervisor', 'start', 'run', 'ps', 'logs', 'stop', 'rm', 'inspect']) {
    const r = await runEngine([verb, '--help']);
    t.is(r.code, 0, verb);
    t.regex(r.stdout, new RegExp(`Usage: engine ${verb}`));
  }
});

test('no supervisor: one line naming the socket, exit 125', async (t) => {
  const r = await runEngine(['ps'], { ENGINE_SOCKET: '/tmp/engine-no-such.sock' });
  t.is(r.code, 125);
  t.regex(r.stderr, /^engine: cannot reach the supervisor at \/tmp\/engine-no-such.sock \(ENOENT\)/);
});

e2e('raw socket: malformed, truncated, oversized, wrong frame kind, unknown verb and fields', async (t) => {
  const { socket } = t.context.sup;
  const frame = (kind: number, body: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0, kind]), body]).fill(0, 0, 0);
  const withLen = (kind: number, body: Buffer, len = body.length) => {
    const h = Buffer.alloc(5);
    h.writeUInt32BE(len, 0);
    h.writeUInt8(kind, 4);
    return Buffer.concat([h, body]);
  };
  void frame;
  const cases: Array<[string, Buffer, RegExp, boolean?]> = [
    ['not JSON', withLen(1, Buffer.from('{nope')), /not valid JSON/],
    ['JSON but not an object', withLen(1, Buffer.from('[1,2]')), /must be a JSON object/],
    ['unknown verb', encodeJson({ verb: 'explode' }), /unknown verb "explode"/],
    ['no verb', encodeJson({ id: 'x' }), /unknown verb null/],
    ['unknown field', encodeJson({ verb: 'ps', extra: 1 }), /unknown field: extra/],
    ['wrong type', encodeJson({ verb: 'inspect', id: 42 }), /id must be a string/],
    ['oversized', withLen(1, Buffer.alloc(10), 64 * 1024 * 1024), /^a request of 67108864 bytes is over the limit: a request may hold at most 256 KiB \(262144 bytes\)$/],
    ['unknown frame kind', withLen(9, Buffer.from('{}')), /unknown frame kind 9/],
    ['data frame as request', withLen(2, Buffer.from('hello')), /must be a JSON frame/],
    ['truncated', withLen(1, Buffer.from('{"verb":'), 100), /truncated request/, true],
    ['empty', Buffer.alloc(0), /empty request/, true],
  ];
  for (const [name, bytes, pattern, end] of cases) {
    const reply = firstMessage(await rawExchange(socket, bytes, { endAfterWrite: end }));
    t.false(reply.ok, name);
    t.regex(reply.error!.message, pattern, name);
  }
  t.truthy(await t.context.sup.ping(), 'still answering');
});

e2e('a slow client gets a deadline error; a vanishing one is forgotten', async (t) => {
  const sup = t.context.sup;
  const began = Date.now();
  const reply = firstMessage(await rawExchange(sup.socket, Buffer.from([0, 0]), { timeoutMs: 15_000 }));
  t.regex(reply.error!.message, /no complete request within 5000 ms/);
  t.true(Date.now() - began >= 4500);
  // Clients that connect and vanish, mid-frame or before a byte.
  for (let i = 0; i < 50; i++) {
    const s = net.connect(sup.socket);
    s.on('connect', () => {
      if (i % 2) s.write(Buffer.from([0, 0, 1]));
      s.destroy();
    });
    s.on('error', () => {});
  }
  t.truthy(await sup.ping());
});

e2e('a run client that vanishes mid-run: the container runs on and is recorded', async (t) => {
  const sup = t.context.sup;
  const rootfs = await sup.rootfs();
  const s = net.connect(sup.socket);
  s.on('connect', () => s.write(encodeJson({ verb: 'run', id: 'bad-vanish', rootfs, command: ['/bin/sh', '-c', 'sleep 0.5; echo done'] })));
  s.on('error', () => {});
  await until('the start', async () => (await sup.engine('inspect', 'bad-vanish')).code === 0);
  s.destroy();
  const info = await until('the exit', async () => {
    const i = await sup.inspect('bad-vanish');
    return i.state === 'exited' && i;
  });
  t.is(info.exitCode, 0);
  t.is(fs.readFileSync(info.logPath, 'utf8'), 'done\n');
});

e2e('many bad requests later, every record is still there', async (t) => {
  const sup = t.context.sup;
  await sup.engine('run', 'bad-keep', await sup.rootfs(), '/bin/true');
  await Promise.all(Array.from({ length: 40 }, (_, i) => rawExchange(sup.socket, i % 2 ? Buffer.from('garbage!') : encodeJson({ verb: 'rm' }), { endAfterWrite: true })));
  const ps = JSON.parse((await sup.engine('ps', '--json')).stdout) as Array<{ id: string }>;
  t.true(ps.some((r) => r.id === 'bad-keep'));
});
