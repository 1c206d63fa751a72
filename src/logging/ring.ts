/*
 * The log pipeline's shared memory: every index, who writes it, the record format and the wrap rule.
 * This is the only module that knows the layout; producer, consumer, main thread and tests use it.
 *
 * ── Ring (one per producer worker; single producer, single consumer) ────────────────────────────
 * One SharedArrayBuffer: RING_HEADER_BYTES of Int32 header words, then `capacity` data bytes.
 * capacity is a power of two, 4 KiB .. 1 GiB.
 *
 *   word  name              written by   meaning
 *   0     W_WRITE           producer     bytes published since creation (u32, free-running, wraps at 2^32)
 *   1     W_READ            consumer     bytes consumed since creation (u32, free-running)
 *   2     W_PROD_WAITING    producer     free bytes the producer waits for while (about to be) parked on W_READ; 0 = not waiting
 *   3..15 reserved (0)
 *
 *   used = (WRITE - READ) >>> 0  (0 ..capacity); free = capacity - used; position p lives at data[p & (capacity-1)].
 *
 * Record: an 8-byte header at a position that is a multiple of 8, then the payload:
 *   header word 0 = (type << 24) | slot     (slot < 2^24: the stream; type: REC_DATA, REC_EOF)
 *   header word 1 = payload length in bytes (REC_EOF: flags, see EOF_CUT)
 *   the payload starts right after the header and MAY straddle the end of the data area: its bytes
 *   from data[p] to the end, then the rest from data[0] (the two-part copy at the wrap).
 *   The next record starts at p + 8 + align8(length). Because capacity and every record position are
 *   multiples of 8, a header never straddles the end.
 *
 * Publication: the producer writes payload and header with plain stores, then Atomics.store(W_WRITE)
 * LAST; the consumer Atomics.load(W_WRITE)s before it reads anything, and Atomics.store(W_READ)s
 * only after it is done with the bytes (written to the file), which hands the space back.
 * Wake-ups (Dekker pattern, all Atomics are sequentially consistent):
 *   producer needing space:  store PROD_WAITING=need; re-check free; Atomics.wait(W_READ, seen, timeout); store 0
 *   consumer after a READ store:  if load(PROD_WAITING) = need > 0 and free >= need then Atomics.notify(W_READ)
 *   (so a producer waiting for a big chunk of space is woken once, not once per record consumed)
 *
 * ── Control block (one for the whole pipeline) ───────────────────────────────────────────────────
 *   word  name               written by            meaning
 *   0     C_DOORBELL         producers, main       bumped (Atomics.add) to wake the consumer
 *   1     C_CONSUMER_SLEEPING consumer             1 while the consumer is (about to be) parked on C_DOORBELL
 *   2     C_STOP_PRODUCERS   main                  1: producers cut every stream and exit
 *   3     C_STOP_CONSUMER    main                  1: consumer drains what is published, closes files, exits
 *   Consumer sleep: seen = load(DOORBELL); store SLEEPING=1; re-check rings; Atomics.wait(DOORBELL, seen, t).
 *   Producer, after publishing, when the ring passes a watermark, before it may block in epoll or
 *   for space, and after an EOF record: if load(SLEEPING) then add(DOORBELL, 1) and notify(DOORBELL).
 *
 * ── Stream table (one for the whole pipeline), Float64Array, STREAM_FIELDS per slot ──────────────
 *   field  name         written by   meaning
 *   0      S_PUBLISHED  producer     payload bytes published into a ring for this stream
 *   1      S_DROPPED    producer     bytes read and dropped (non-blocking mode only)
 *   2      S_WRITTEN    consumer     bytes written to the log file(s)
 *   3      reserved
 *   The main thread zeroes a slot's fields before handing the slot out; a slot is reused only after
 *   the consumer reported it drained (its REC_EOF was the last record naming it).
 */

export const RING_HEADER_BYTES = 64;
export const W_WRITE = 0;
export const W_READ = 1;
export const W_PROD_WAITING = 2;

export const REC_HEADER = 8;
export const REC_DATA = 1;
export const REC_EOF = 2;
/** REC_EOF flag: the stream was cut by shutdown, not ended by the writer. */
export const EOF_CUT = 1;
export const MAX_SLOT = (1 << 24) - 1;

export const CONTROL_BYTES = 64;
export const C_DOORBELL = 0;
export const C_CONSUMER_SLEEPING = 1;
export const C_STOP_PRODUCERS = 2;
export const C_STOP_CONSUMER = 3;

export const STREAM_FIELDS = 4;
export const S_PUBLISHED = 0;
export const S_DROPPED = 1;
export const S_WRITTEN = 2;

export const MIN_RING = 4096;
export const MAX_RING = 1 << 30;

export const align8 = (n: number): number => (n + 7) & ~7;

export function createRingBuffer(capacity: number): SharedArrayBuffer {
  if (!Number.isInteger(capacity) || capacity < MIN_RING || capacity > MAX_RING || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`ring capacity must be a power of two between ${MIN_RING} and ${MAX_RING}, got ${capacity}`);
  }
  return new SharedArrayBuffer(RING_HEADER_BYTES + capacity);
}

export function createControlBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES);
}

export function createStreamTable(slots: number): SharedArrayBuffer {
  return new SharedArrayBuffer(slots * STREAM_FIELDS * 8);
}

/** A record as the consumer sees it: payload at data[off1, off1+len1) then data[0, len2). */
export interface RecordView {
  type: number;
  slot: number;
  /** payload length (REC_DATA) or flags (REC_EOF) */
  length: number;
  off1: number;
  len1: number;
  len2: number;
  /** bytes the record occupies in the ring (header + aligned payload) */
  span: number;
}

/** Views over one ring. Either side constructs its own from the shared buffer. */
export class Ring {
  readonly sab: SharedArrayBuffer;
  readonly capacity: number;
  readonly mask: number;
  /** header words */
  readonly hdr: Int32Array;
  /** data area, bytes */
  readonly data: Uint8Array;
  /** data area, Int32 words (record headers) */
  readonly words: Int32Array;

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.capacity = sab.byteLength - RING_HEADER_BYTES;
    this.mask = this.capacity - 1;
    this.hdr = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
    this.data = new Uint8Array(sab, RING_HEADER_BYTES, this.capacity);
    this.words = new Int32Array(sab, RING_HEADER_BYTES, this.capacity / 4);
  }

  used(): number {
    return (Atomics.load(this.hdr, W_WRITE) - Atomics.load(this.hdr, W_READ)) >>> 0;
  }

  free(): number {
    return this.capacity - this.used();
  }

  // ── producer side ──────────────────────────────────────────────────────────────────────────

  /** The largest payload a record started now could hold (0 if not even a header fits). */
  maxPayload(): number {
    return Math.max(0, this.free() - REC_HEADER);
  }

  /**
   * Where the payload of the next record goes: [off1, off1+len1) then [0, len2), for up to
   * `want` bytes (the caller checked want <= maxPayload()).
   */
  payloadSegments(want: number): [number, number, number] {
    const w = Atomics.load(this.hdr, W_WRITE) >>> 0;
    const off1 = (w + REC_HEADER) & this.mask;
    const len1 = Math.min(want, this.capacity - off1);
    return [off1, len1, want - len1];
  }

  /** Writes the header of the next record and publishes it (Atomics.store last). */
  commit(type: number, slot: number, length: number): void {
    const w = Atomics.load(this.hdr, W_WRITE) >>> 0;
    const p = (w & this.mask) >> 2;
    this.words[p] = (type << 24) | slot;
    this.words[p + 1] = length;
    const payload = type === REC_DATA ? align8(length) : 0;
    Atomics.store(this.hdr, W_WRITE, (w + REC_HEADER + payload) | 0);
  }

  /** Copies a payload in and publishes it; false if it does not fit now. */
  tryWrite(type: number, slot: number, payload: Uint8Array | null): boolean {
    const len = payload ? payload.length : 0;
    if (this.free() < REC_HEADER + align8(len)) return false;
    if (payload && len > 0) {
      const [off1, len1, len2] = this.payloadSegments(len);
      this.data.set(payload.subarray(0, len1), off1);
      if (len2 > 0) this.data.set(payload.subarray(len1), 0);
    }
    this.commit(type, slot, type === REC_DATA ? len : 0);
    return true;
  }

  /** Writes an EOF record with flags (no payload); false if no room for a header. */
  tryWriteEof(slot: number, flags: number): boolean {
    if (this.free() < REC_HEADER) return false;
    const w = Atomics.load(this.hdr, W_WRITE) >>> 0;
    const p = (w & this.mask) >> 2;
    this.words[p] = (REC_EOF << 24) | slot;
    this.words[p + 1] = flags;
    Atomics.store(this.hdr, W_WRITE, (w + REC_HEADER) | 0);
    return true;
  }

  /** Parks the producer until the consumer frees space or timeoutMs passes. */
  waitForSpace(need: number, timeoutMs: number): boolean {
    const seen = Atomics.load(this.hdr, W_READ);
    Atomics.store(this.hdr, W_PROD_WAITING, need);
    if (this.free() >= need) {
      Atomics.store(this.hdr, W_PROD_WAITING, 0);
      return true;
    }
    Atomics.wait(this.hdr, W_READ, seen, timeoutMs);
    Atomics.store(this.hdr, W_PROD_WAITING, 0);
    return this.free() >= need;
  }

  // ── consumer side ──────────────────────────────────────────────────────────────────────────

  /** The next published record, or null if the ring is empty. Does not consume it. */
  peek(): RecordView | null {
    const r = Atomics.load(this.hdr, W_READ) >>> 0;
    const w = Atomics.load(this.hdr, W_WRITE) >>> 0;
    if (r === w) return null;
    const pos = r & this.mask;
    const h0 = this.words[pos >> 2];
    const length = this.words[(pos >> 2) + 1];
    const type = h0 >>> 24;
    const slot = h0 & MAX_SLOT;
    if (type !== REC_DATA) return { type, slot, length, off1: 0, len1: 0, len2: 0, span: REC_HEADER };
    const off1 = (pos + REC_HEADER) & this.mask;
    const len1 = Math.min(length, this.capacity - off1);
    return { type, slot, length, off1, len1, len2: length - len1, span: REC_HEADER + align8(length) };
  }

  /** Hands `span` bytes back to the producer, waking it if it waits. */
  release(span: number): void {
    const r = Atomics.load(this.hdr, W_READ) >>> 0;
    Atomics.store(this.hdr, W_READ, (r + span) | 0);
    const want = Atomics.load(this.hdr, W_PROD_WAITING);
    if (want !== 0 && this.free() >= want) Atomics.notify(this.hdr, W_READ);
  }

  /** Copies a record's payload out (tests and small readers; the consumer writes from the ring). */
  copyPayload(rec: RecordView): Uint8Array {
    const out = new Uint8Array(rec.len1 + rec.len2);
    out.set(this.data.subarray(rec.off1, rec.off1 + rec.len1), 0);
    if (rec.len2 > 0) out.set(this.data.subarray(0, rec.len2), rec.len1);
    return out;
  }
}

/** Producer side of the control block: wakes the consumer if it sleeps. */
export function ringDoorbell(ctl: Int32Array): void {
  if (Atomics.load(ctl, C_CONSUMER_SLEEPING) !== 0) {
    Atomics.add(ctl, C_DOORBELL, 1);
    Atomics.notify(ctl, C_DOORBELL);
  }
}

/** Unconditional wake (main thread: stop requests). */
export function forceDoorbell(ctl: Int32Array): void {
  Atomics.add(ctl, C_DOORBELL, 1);
  Atomics.notify(ctl, C_DOORBELL);
}
