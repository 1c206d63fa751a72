// Log consumer worker: drains every producer's ring into the log files, writing straight from the
// shared memory (no copy), then hands the space back. On a stream's EOF record it closes the file and
// reports the stream drained to the main thread; everything before the EOF record is in the file by then.
//
// It parks only in Atomics.wait on the control block's doorbell (200 ms at most) when every ring is
// empty. Set-up messages ('open': which file a stream slot goes to) are pulled synchronously with
// receiveMessageOnPort; the main thread always posts 'open' before the producer can see the pipe.

import fs from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import {
  C_CONSUMER_SLEEPING, C_DOORBELL, C_STOP_CONSUMER, EOF_CUT, REC_DATA, Ring, STREAM_FIELDS, S_DROPPED, S_WRITTEN,
} from '../src/logging/ring.js';
import type { ConsumerInit, FromConsumer, ToConsumer } from '../src/logging/messages.js';
import { native } from '../src/native/addon.js';

interface LogFile {
  slot: number;
  fd: number; // -1: discard (the file could not be opened)
  path: string;
  maxBytes: number;
  size: number;
  error?: string;
}

const init = workerData as ConsumerInit;
const rings = init.rings.map((sab) => new Ring(sab));
const ctl = new Int32Array(init.control);
const table = new Float64Array(init.streams);
const files = new Map<number, LogFile>();
// Files are opened by the main thread (attach) and closed here: close through the addon, since
// fs.close of an fd another thread opened makes Node warn (and its fd tracking is per thread).
const io = native();
const pending = new Map<number, ToConsumer>();
const BUDGET = 4 * 1024 * 1024; // bytes from one ring before looking at the next

function post(m: FromConsumer): void {
  parentPort!.postMessage(m);
}

function takeMessages(): void {
  for (;;) {
    const got = receiveMessageOnPort(init.port);
    if (!got) return;
    const m = got.message as ToConsumer;
    if (m.type === 'open') pending.set(m.slot, m);
  }
}

function fileFor(slot: number): LogFile | undefined {
  let f = files.get(slot);
  if (f) return f;
  if (!pending.has(slot)) takeMessages();
  const m = pending.get(slot);
  if (!m) return undefined;
  pending.delete(slot);
  f = { slot, fd: m.fileFd, path: m.path, maxBytes: m.maxBytes, size: 0 };
  files.set(slot, f);
  return f;
}

/** Writes all of buf[off, off+len); counts each write as it lands, so a failure leaves exact counters. */
function writeAll(f: LogFile, buf: Uint8Array, off: number, len: number): void {
  while (len > 0) {
    const n = fs.writeSync(f.fd, buf, off, len);
    off += n;
    len -= n;
    f.size += n;
    table[f.slot * STREAM_FIELDS + S_WRITTEN] += n;
  }
}

function rotate(f: LogFile): void {
  io.closeFd(f.fd);
  f.fd = -1;
  fs.renameSync(f.path, `${f.path}.1`);
  f.fd = fs.openSync(f.path, 'w', 0o640);
  f.size = 0;
}

function writeRecord(f: LogFile, ring: Ring, off1: number, len1: number, len2: number): void {
  const len = len1 + len2;
  if (f.fd < 0) return; // discarding: the file could not be (re)opened
  try {
    if (f.maxBytes > 0 && f.size > 0 && f.size + len > f.maxBytes) rotate(f);
    writeAll(f, ring.data, off1, len1);
    if (len2 > 0) writeAll(f, ring.data, 0, len2);
  } catch (e) {
    // Disk full or similar: the bytes are lost for this file; say so once, keep the ring moving.
    if (!f.error) {
      f.error = (e as Error).message;
      post({ type: 'warn', slot: f.slot, msg: `write ${f.path}: ${f.error}` });
    }
  }
}

function finish(f: LogFile, cut: boolean): void {
  if (f.fd >= 0) {
    try {
      io.closeFd(f.fd);
    } catch {
      /* nothing left to do */
    }
  }
  files.delete(f.slot);
  const base = f.slot * STREAM_FIELDS;
  post({ type: 'drained', slot: f.slot, bytes: table[base + S_WRITTEN], dropped: table[base + S_DROPPED], cut, error: f.error });
}

/** Drains up to BUDGET bytes of one ring; true if it consumed anything. */
function drain(ring: Ring): boolean {
  let done = 0;
  for (;;) {
    const rec = ring.peek();
    if (!rec) break;
    const f = fileFor(rec.slot);
    if (!f) {
      post({ type: 'warn', slot: rec.slot, msg: `record for unknown stream slot ${rec.slot} skipped` });
    } else if (rec.type === REC_DATA) {
      writeRecord(f, ring, rec.off1, rec.len1, rec.len2);
    } else {
      finish(f, (rec.length & EOF_CUT) !== 0);
    }
    ring.release(rec.span);
    done += rec.span;
    if (done >= BUDGET) break;
  }
  return done > 0;
}

function anyPublished(): boolean {
  for (const r of rings) if (r.used() > 0) return true;
  return false;
}

post({ type: 'ready' });
for (;;) {
  let worked = false;
  for (const r of rings) if (drain(r)) worked = true;
  if (worked) continue;
  if (Atomics.load(ctl, C_STOP_CONSUMER) !== 0 && !anyPublished()) break;
  takeMessages();
  const seen = Atomics.load(ctl, C_DOORBELL);
  Atomics.store(ctl, C_CONSUMER_SLEEPING, 1);
  if (!anyPublished() && Atomics.load(ctl, C_STOP_CONSUMER) === 0) Atomics.wait(ctl, C_DOORBELL, seen, 200);
  Atomics.store(ctl, C_CONSUMER_SLEEPING, 0);
}

// Producers have stopped and every record they published is written. Streams opened but never
// ended by an EOF record (a producer that crashed) are closed as cut.
takeMessages();
for (const m of pending.values()) if (m.type === 'open') fileFor(m.slot);
for (const f of [...files.values()]) finish(f, true);
post({ type: 'stopped' });
init.port.close();
