// Ring unit tests (layout: src/logging/ring.ts) and a seeded random sequence across real Workers.
// The Worker side is compiled JS (dist/test/unit/logging/ring-fuzz.worker.js): run `npx tsc` first (make test does).
import test from 'ava';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  REC_DATA, REC_EOF, REC_HEADER, Ring, W_READ, W_WRITE, createRingBuffer, EOF_CUT,
} from '../../../src/logging/ring.js';
import { REPO_ROOT } from '../../../src/paths.js';

const bytes = (n: number, start = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i * 7) & 0xff);

test('rejects capacities that are not a power of two in range', (t) => {
  t.throws(() => createRingBuffer(1000), { instanceOf: RangeError });
  t.throws(() => createRingBuffer(2048), { instanceOf: RangeError });
  t.notThrows(() => createRingBuffer(4096));
});

test('empty ring: nothing to peek, all space free', (t) => {
  const r = new Ring(createRingBuffer(4096));
  t.is(r.peek(), null);
  t.is(r.used(), 0);
  t.is(r.free(), 4096);
  t.is(r.maxPayload(), 4096 - REC_HEADER);
});

test('a record round-trips with header, slot, type and 8-byte alignment', (t) => {
  const r = new Ring(createRingBuffer(4096));
  t.true(r.tryWrite(REC_DATA, 42, bytes(13)));
  t.is(r.used(), REC_HEADER + 16);
  const rec = r.peek()!;
  t.is(rec.type, REC_DATA);
  t.is(rec.slot, 42);
  t.is(rec.length, 13);
  t.is(rec.span, REC_HEADER + 16);
  t.deepEqual(r.copyPayload(rec), bytes(13));
  r.release(rec.span);
  t.is(r.peek(), null);
  t.is(r.used(), 0);
});

test('full ring refuses a record, accepts it after release', (t) => {
  const r = new Ring(createRingBuffer(4096));
  t.true(r.tryWrite(REC_DATA, 1, bytes(4096 - REC_HEADER)));
  t.is(r.free(), 0);
  t.false(r.tryWrite(REC_DATA, 2, bytes(1)));
  t.false(r.tryWriteEof(2, 0));
  t.false(r.waitForSpace(16, 1)); // times out: nobody consumes
  const rec = r.peek()!;
  t.deepEqual(r.copyPayload(rec), bytes(4096 - REC_HEADER));
  r.release(rec.span);
  t.true(r.tryWrite(REC_DATA, 2, bytes(1)));
});

test('a payload straddling the end is split in two and read back whole', (t) => {
  const r = new Ring(createRingBuffer(4096));
  // move the positions near the end: 4000 bytes in and out
  t.true(r.tryWrite(REC_DATA, 1, bytes(4000 - REC_HEADER)));
  r.release(r.peek()!.span);
  const payload = bytes(500, 3);
  t.true(r.tryWrite(REC_DATA, 7, payload));
  const rec = r.peek()!;
  t.is(rec.off1, 4008);
  t.is(rec.len1, 88);
  t.is(rec.len2, 412);
  t.deepEqual(r.copyPayload(rec), payload);
  r.release(rec.span);
  t.is(Atomics.load(r.hdr, W_READ), Atomics.load(r.hdr, W_WRITE));
});

test('a header lands exactly at the end and the next at the start (wrap-around)', (t) => {
  const r = new Ring(createRingBuffer(4096));
  t.true(r.tryWrite(REC_DATA, 1, bytes(4088 - REC_HEADER)));
  r.release(r.peek()!.span);
  t.true(r.tryWrite(REC_DATA, 2, bytes(0)));         // header at 4088..4096
  t.true(r.tryWrite(REC_DATA, 3, bytes(20, 9)));     // header at 0
  const a = r.peek()!;
  t.is(a.slot, 2);
  t.is(a.length, 0);
  r.release(a.span);
  const b = r.peek()!;
  t.is(b.slot, 3);
  t.is(b.off1, REC_HEADER);
  t.deepEqual(r.copyPayload(b), bytes(20, 9));
});

test('EOF records carry flags and take only a header', (t) => {
  const r = new Ring(createRingBuffer(4096));
  t.true(r.tryWriteEof(9, EOF_CUT));
  const e = r.peek()!;
  t.is(e.type, REC_EOF);
  t.is(e.slot, 9);
  t.is(e.length & EOF_CUT, EOF_CUT);
  t.is(e.span, REC_HEADER);
});

test('free-running indexes survive the 2^32 wrap of the counters', (t) => {
  const r = new Ring(createRingBuffer(4096));
  const near = 0xffffff00 | 0;
  Atomics.store(r.hdr, W_WRITE, near);
  Atomics.store(r.hdr, W_READ, near);
  for (let i = 0; i < 100; i++) {
    const p = bytes(i * 3, i);
    t.true(r.tryWrite(REC_DATA, i, p));
    const rec = r.peek()!;
    t.deepEqual(r.copyPayload(rec), p);
    r.release(rec.span);
  }
  t.is(r.used(), 0);
  t.true((Atomics.load(r.hdr, W_WRITE) >>> 0) < 0x10000); // wrapped past 2^32
});

interface FuzzResult { role: string; records: number; bytes: number; wraps: number; fullWaits: number; error?: string }

function runFuzz(role: string, ring: SharedArrayBuffer, seed: number, count: number, maxLen: number): Promise<FuzzResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(REPO_ROOT, 'dist/test/unit/logging/ring-fuzz.worker.js'), { workerData: { role, ring, seed, count, maxLen } });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

for (const [seed, cap, maxLen] of [[1, 4096, 3000], [77, 4096, 4088], [2024, 65536, 20000]] as const) {
  test(`seeded random sequence across real Workers (seed ${seed}, ring ${cap}, records up to ${maxLen} B)`, async (t) => {
    const sab = createRingBuffer(cap);
    const count = 8000; // thousands of wraps and full-ring waits already; more only costs CPU time
    const [p, c] = await Promise.all([runFuzz('produce', sab, seed, count, maxLen), runFuzz('consume', sab, seed, count, maxLen)]);
    t.is(c.error, undefined);
    t.is(c.records, count);
    t.is(c.bytes, p.bytes);
    t.true(c.wraps > 10, `records straddling the end: ${c.wraps}`);
    t.true(p.fullWaits > 0, 'the producer met a full ring');
    t.log(`bytes ${p.bytes}, straddling ${c.wraps}, producer waits on full ${p.fullWaits}`);
  });
}
