// Test support (test/logging/ring.test.ts): one side of a seeded random record sequence through a
// Ring, run in a real Worker. The producer writes records of random slot, type and length (0..maxLen)
// with PRNG payloads; the consumer regenerates the same sequence and checks every record byte for
// byte, in order. Both sides park with the ring's own waits, so the test covers full, empty, wrap and
// straddling records under real concurrency.

import { parentPort, workerData } from 'node:worker_threads';
import { REC_DATA, REC_EOF, REC_HEADER, Ring, W_WRITE, align8 } from '../../../src/logging/ring.js';

export interface FuzzTask {
  role: 'produce' | 'consume';
  ring: SharedArrayBuffer;
  seed: number;
  count: number;
  maxLen: number;
}

export interface FuzzResult {
  role: string;
  records: number;
  bytes: number;
  wraps: number;
  fullWaits: number;
  error?: string;
}

function mulberry32(a: number): () => number {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function* sequence(seed: number, count: number, maxLen: number): Generator<{ type: number; slot: number; payload: Uint8Array }> {
  const rnd = mulberry32(seed);
  for (let i = 0; i < count; i++) {
    const type = rnd() % 16 === 0 ? REC_EOF : REC_DATA;
    const slot = rnd() % 100000;
    // mostly small, sometimes near the maximum
    const len = type === REC_EOF ? 0 : rnd() % 4 === 0 ? rnd() % (maxLen + 1) : rnd() % 64;
    // Four payload bytes from each draw: both sides generate every byte, the large records dominate.
    const payload = new Uint8Array(len);
    for (let j = 0; j < len; j += 4) {
      const v = rnd();
      payload[j] = v;
      if (j + 1 < len) payload[j + 1] = v >>> 8;
      if (j + 2 < len) payload[j + 2] = v >>> 16;
      if (j + 3 < len) payload[j + 3] = v >>> 24;
    }
    yield { type, slot, payload };
  }
}

function produce(t: FuzzTask): FuzzResult {
  const ring = new Ring(t.ring);
  const r: FuzzResult = { role: 'produce', records: 0, bytes: 0, wraps: 0, fullWaits: 0 };
  for (const rec of sequence(t.seed, t.count, t.maxLen)) {
    const need = REC_HEADER + align8(rec.payload.length);
    while (ring.free() < need) {
      r.fullWaits++;
      ring.waitForSpace(need, 1000);
    }
    const [, , len2] = ring.payloadSegments(rec.payload.length);
    if (len2 > 0) r.wraps++;
    if (rec.type === REC_EOF) ring.tryWriteEof(rec.slot, 0);
    else ring.tryWrite(REC_DATA, rec.slot, rec.payload);
    Atomics.notify(ring.hdr, W_WRITE); // the fuzz's doorbell (the pipeline batches this through its control block)
    r.records++;
    r.bytes += rec.payload.length;
  }
  return r;
}

function consume(t: FuzzTask): FuzzResult {
  const ring = new Ring(t.ring);
  const r: FuzzResult = { role: 'consume', records: 0, bytes: 0, wraps: 0, fullWaits: 0 };
  for (const want of sequence(t.seed, t.count, t.maxLen)) {
    let seen = Atomics.load(ring.hdr, W_WRITE);
    let got = ring.peek();
    while (!got) {
      Atomics.wait(ring.hdr, W_WRITE, seen, 100);
      seen = Atomics.load(ring.hdr, W_WRITE);
      got = ring.peek();
    }
    if (got.len2 > 0) r.wraps++;
    const payload = ring.copyPayload(got);
    const same = got.type === want.type && got.slot === want.slot && Buffer.from(payload.buffer, payload.byteOffset, payload.length).equals(want.payload);
    if (!same) {
      r.error = `record ${r.records}: got type ${got.type} slot ${got.slot} len ${payload.length}, ` +
        `want type ${want.type} slot ${want.slot} len ${want.payload.length}`;
      return r;
    }
    ring.release(got.span);
    r.records++;
    r.bytes += payload.length;
  }
  if (ring.used() !== 0) r.error = `ring holds ${ring.used()} bytes after the last record`;
  return r;
}

const task = workerData as FuzzTask;
parentPort!.postMessage(task.role === 'produce' ? produce(task) : consume(task));
