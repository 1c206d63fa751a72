// Framing and request validation, without a supervisor.

import test from 'ava';
import { encodeDataHeader, encodeJson, FrameDecoder, FrameError } from '../../src/protocol/framing.js';
import { parseRequest } from '../../src/protocol/schema.js';
import { EngineError } from '../../src/errors.js';

test('frames split at every byte boundary decode to the same messages', (t) => {
  const bytes = Buffer.concat([encodeJson({ verb: 'ps' }), encodeDataHeader(3), Buffer.from('abc'), encodeJson({ n: 'é' })]);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const d = new FrameDecoder(1024);
    const frames = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
    t.is(frames.length, 3);
    t.deepEqual(frames[0], { kind: 1, message: { verb: 'ps' } });
    t.deepEqual(frames[1], { kind: 2, data: Buffer.from('abc') });
    t.deepEqual(frames[2], { kind: 1, message: { n: 'é' } });
  }
});

test('an oversized frame is refused from its header, before its body arrives', (t) => {
  const d = new FrameDecoder(100);
  const header = Buffer.from([0, 0, 1, 0, 1]);
  t.throws(() => d.push(header), { instanceOf: FrameError, message: /a frame of 256 bytes is over the limit: a frame may hold at most 100 bytes/ });
});

test('unknown frame kinds and bad JSON are FrameErrors', (t) => {
  t.throws(() => new FrameDecoder(100).push(Buffer.from([0, 0, 0, 0, 7])), { instanceOf: FrameError });
  const bad = Buffer.concat([Buffer.from([0, 0, 0, 2, 1]), Buffer.from('{x')]);
  t.throws(() => new FrameDecoder(100).push(bad), { instanceOf: FrameError, message: /not valid JSON/ });
});

const start = (over: Record<string, unknown>) => ({ verb: 'start', id: 'a', rootfs: '/r', command: ['/bin/true'], ...over });

test('start requests get the contract defaults', (t) => {
  const r = parseRequest(start({})) as any;
  t.is(r.softMib, 40);
  t.is(r.hardMib, 64);
  t.is(r.nice, 0);
  t.is(r.logMode, 'blocking');
});

test('each invalid field has its own message', (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ id: '.x' }, /invalid id ".x"/],
    [{ id: 'x'.repeat(65) }, /invalid id/],
    [{ softMib: 70 }, /--soft-mib \(70\) must not be greater than --hard-mib \(64\)/],
    [{ softMib: 0 }, /--soft-mib must be a positive whole number/],
    [{ hardMib: 2.5 }, /--hard-mib must be a positive whole number/],
    [{ hardMib: '64' }, /--hard-mib must be a number/],
    [{ nice: 20 }, /--nice must be between -20 and 19/],
    [{ nice: -21 }, /--nice must be between -20 and 19/],
    [{ command: [] }, /a command is required/],
    [{ command: ['a\0b'] }, /NUL/],
    [{ rootfs: '' }, /rootfs is required/],
    [{ bogus: 1 }, /unknown field: bogus/],
    [{ logMode: 'sometimes' }, /logMode/],
    [{ logBufferMib: 4 }, /--log-buffer-mib only applies with --log-mode non-blocking/],
    [{ logMode: 'non-blocking', logBufferMib: 0 }, /--log-buffer-mib must be a positive whole number/],
    [{ logMaxMib: -1 }, /--log-max-mib must be a positive whole number/],
    // Issue 14, item 7: the project's words, with the field and its limit, not the framework's.
    [{ command: [''] }, /^the command is empty: give the program to run \(e\.g\. \/bin\/sh\)$/],
    [{ command: ['  '] }, /^the command is empty/],
    [{ command: ['w'.repeat(200 * 1024)] }, /^a command word of 204800 characters is too long: at most 131072 \(128 KiB\)$/],
    [{ command: Array(4097).fill('w') }, /^too many command words: at most 4096$/],
    [{ rootfs: 'r'.repeat(5000) }, /rootfs.*4096/],
  ];
  for (const [over, pattern] of cases) {
    const err = t.throws(() => parseRequest(start(over)), { instanceOf: EngineError, message: pattern }, JSON.stringify(over));
    t.is(err?.code, 'invalid_argument', JSON.stringify(over));
  }
});

test('soft == hard and the nice extremes are valid', (t) => {
  t.notThrows(() => parseRequest(start({ softMib: 64, hardMib: 64, nice: -20 })));
  t.notThrows(() => parseRequest(start({ nice: 19 })));
  t.notThrows(() => parseRequest(start({ logMode: 'non-blocking', logBufferMib: 4, logMaxMib: 1 })));
});

test('other verbs: unknown verbs, fields and types', (t) => {
  t.is(t.throws(() => parseRequest({ verb: 'nope' }), { instanceOf: EngineError, message: /unknown verb "nope"/ })?.code, 'bad_request');
  t.is(t.throws(() => parseRequest([]), { instanceOf: EngineError, message: /must be a JSON object/ })?.code, 'bad_request');
  t.throws(() => parseRequest({ verb: 'logs', id: 'a', tail: -1 }), { message: /--tail/ });
  t.throws(() => parseRequest({ verb: 'stop', id: 'a', timeoutMs: -1 }), { message: /--time/ });
  t.deepEqual(parseRequest({ verb: 'logs', id: 'a', follow: true, tail: 3 }), { verb: 'logs', id: 'a', follow: true, tail: 3 });
});
