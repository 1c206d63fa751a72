// Log producer worker: multiplexes many container pipes with epoll (in the addon) and reads each one
// straight into this producer's shared ring (ring.ts), where the consumer worker picks the bytes up.
//
// It never blocks in read(): every pipe is O_NONBLOCK and the only places it parks are epoll_wait
// (100 ms at most; an eventfd wakes it for new pipes and for stop) and Atomics.wait for ring space
// (50 ms at most). So it serves any number of pipes from one thread and always sees a stop request.
//
// Backpressure: a blocking-mode stream is only read when the ring has room for a useful chunk; if it
// has not, the producer waits for the consumer and the pipe fills, so the container's write() blocks.
// A non-blocking-mode stream is read anyway and what does not fit its budget is counted as dropped.

import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import {
  C_STOP_PRODUCERS, EOF_CUT, MAX_SLOT, REC_DATA, REC_HEADER, Ring, STREAM_FIELDS, S_DROPPED, S_PUBLISHED,
  S_WRITTEN, ringDoorbell,
} from '../src/logging/ring.js';
import { EAGAIN, native } from '../src/native/addon.js';
import type { FromProducer, ProducerInit, ToProducer } from '../src/logging/messages.js';

/** read() on a pty master once the last slave has closed */
const EIO = 5;

interface Stream {
  slot: number;
  fd: number;
  nonBlocking: boolean;
  bufferBytes: number;
}

const WAKE_SLOT = MAX_SLOT;
const init = workerData as ProducerInit;
const io = native();
const ring = new Ring(init.ring);
const ctl = new Int32Array(init.control);
const table = new Float64Array(init.streams);
const streams = new Map<number, Stream>();
let nonBlockingCount = 0;
const maxRead = Math.max(4096, Math.min(init.maxRead, ring.capacity >> 1));
// A blocking stream is read only when at least this much fits: fewer, larger reads under pressure.
const minRead = Math.min(128 * 1024, ring.capacity >> 3, maxRead);
const scratch = new Uint8Array(64 * 1024);
// Wake-up batching: the consumer is woken when the ring passes this watermark, or before this thread
// may block (epoll, ring space, nap), or after an EOF record; not after every record.
const doorbellBytes = Math.max(REC_HEADER, ring.capacity >> 3);
// When the ring is full, wait until this much is free, then read in big chunks.
const lowWater = Math.max(minRead + REC_HEADER, ring.capacity >> 2);
let published = false; // records published since the consumer was last rung
let roundBytes = 0; // bytes read in the current epoll round
// a round under this is a trickle (never more than half a maximal read, or big reads would nap)
const coalesceBytes = Math.min(init.coalesceBytes, maxRead >> 1);
const nap = new Int32Array(new SharedArrayBuffer(4)); // nobody notifies it: Atomics.wait is a sleep

function flushDoorbell(): void {
  if (published) {
    published = false;
    ringDoorbell(ctl);
  }
}

function post(m: FromProducer): void {
  parentPort!.postMessage(m);
}

function takeMessages(): void {
  for (;;) {
    const got = receiveMessageOnPort(init.port);
    if (!got) return;
    const m = got.message as ToProducer;
    if (m.type === 'add') addStream(m.slot, m.fd, m.nonBlocking, m.bufferBytes);
  }
}

function addStream(slot: number, fd: number, nonBlocking: boolean, bufferBytes: number): void {
  try {
    io.setNonblock(fd, true);
  } catch (e) {
    post({ type: 'warn', slot, msg: `set O_NONBLOCK on fd ${fd}: ${(e as Error).message}` });
  }
  try {
    io.setPipeSize(fd, init.pipeBytes);
  } catch {
    // not a pipe (a file or socket in a test): fine, it just keeps its size
  }
  const s: Stream = { slot, fd, nonBlocking, bufferBytes };
  try {
    io.epollAdd(epfd, fd, slot);
  } catch (e) {
    post({ type: 'warn', slot, msg: `epoll_ctl(ADD) fd ${fd}: ${(e as Error).message}` });
    // Regular files cannot be polled (EPERM): read them to EOF now.
    streams.set(slot, s);
    if (nonBlocking) nonBlockingCount++;
    while (streams.has(slot)) {
      if (ring.maxPayload() < minRead) {
        flushDoorbell();
        ring.waitForSpace(lowWater, 50);
      }
      readOnce(s);
      if (Atomics.load(ctl, C_STOP_PRODUCERS) !== 0) break;
    }
    return;
  }
  streams.set(slot, s);
  if (nonBlocking) nonBlockingCount++;
}

function endStream(s: Stream, flags: number): void {
  try {
    io.epollDel(epfd, s.fd);
  } catch {
    /* already gone */
  }
  try {
    io.closeFd(s.fd);
  } catch {
    /* EBADF: nothing to release */
  }
  streams.delete(s.slot);
  if (s.nonBlocking) nonBlockingCount--;
  // The EOF record must follow every byte of the stream: wait for room however long the consumer takes.
  while (!ring.tryWriteEof(s.slot, flags)) {
    published = true;
    flushDoorbell();
    ring.waitForSpace(REC_HEADER, 50);
  }
  published = true;
  flushDoorbell(); // drained() waits on this: no batching
}

/** One read of one stream, if it is worth it now. */
function readOnce(s: Stream): void {
  let room = Math.min(ring.maxPayload(), maxRead);
  const base = s.slot * STREAM_FIELDS;
  if (s.nonBlocking) {
    const inFlight = table[base + S_PUBLISHED] - table[base + S_WRITTEN];
    room = Math.min(room, s.bufferBytes - inFlight);
    if (room <= 0) {
      const n = io.readInto(s.fd, scratch, 0, scratch.length);
      if (n > 0) table[base + S_DROPPED] += n;
      else if (n === 0 || n === -EIO) endStream(s, 0);
      else if (n !== -EAGAIN) {
        post({ type: 'warn', slot: s.slot, msg: `read: errno ${-n}` });
        endStream(s, 0);
      }
      return;
    }
  } else if (room < minRead) {
    return; // wait for the consumer; the pipe holds the rest
  }
  const [off1, len1, len2] = ring.payloadSegments(room);
  const n = io.readv2(s.fd, ring.data, off1, len1, 0, len2);
  if (n > 0) {
    ring.commit(REC_DATA, s.slot, n);
    table[base + S_PUBLISHED] += n;
    roundBytes += n;
    published = true;
  } else if (n === 0 || n === -EIO) {
    endStream(s, 0); // EIO: a pty master whose last slave closed (a container with -t has ended)
  } else if (n !== -EAGAIN) {
    post({ type: 'warn', slot: s.slot, msg: `read: errno ${-n}` });
    endStream(s, 0);
  }
}

const epfd = io.epollCreate();
const wakeFd = io.eventfdCreate();
io.epollAdd(epfd, wakeFd, WAKE_SLOT);
post({ type: 'ready', index: init.index, wakeFd });

const events = new Int32Array(3 * 256);
while (Atomics.load(ctl, C_STOP_PRODUCERS) === 0) {
  takeMessages();
  let timeout = 100;
  if (ring.maxPayload() < minRead) {
    flushDoorbell();
    if (!ring.waitForSpace(lowWater, 50)) {
      if (nonBlockingCount === 0) continue;
      timeout = 0; // still full: only non-blocking streams can be served (by dropping)
    }
  }
  let n = io.epollWait(epfd, events, 0);
  if (n === 0 && timeout > 0) {
    flushDoorbell(); // about to block: the consumer must not wait for us
    n = io.epollWait(epfd, events, timeout);
  }
  roundBytes = 0;
  for (let i = 0; i < n; i++) {
    const slot = events[3 * i];
    if (slot === WAKE_SLOT) {
      io.eventfdDrain(wakeFd);
      continue;
    }
    const s = streams.get(slot);
    if (s) readOnce(s);
  }
  if (published && ring.used() >= doorbellBytes) flushDoorbell();
  // Batch wake-ups: a round that found only a little data means writers are mid-stream with small
  // writes; let the pipes fill for a moment instead of paying a poll, a read, a record and maybe a
  // consumer wake-up per write.
  if (roundBytes > 0 && roundBytes < coalesceBytes && init.coalesceUs > 0) {
    flushDoorbell(); // a trickle: deliver it now, then let the pipes fill
    Atomics.wait(nap, 0, 0, init.coalesceUs / 1000);
  }
}

// Stop: cut every stream still open. Bytes still in a pipe were never read; every byte read is in
// the ring and will be written by the consumer, which drains until told to stop after us.
const cut: number[] = [];
for (const s of [...streams.values()]) {
  cut.push(s.slot);
  endStream(s, EOF_CUT);
}
published = true;
flushDoorbell();
io.closeFd(epfd);
// wakeFd stays open: the main thread closes it once this worker has exited, so it never signals a
// number that was closed and reused.
post({ type: 'stopped', index: init.index, cut });
init.port.close();
