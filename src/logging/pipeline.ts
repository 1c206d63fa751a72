// The log pipeline, main-thread side: owns the shared buffers and the workers, hands pipes to
// producers and files to the consumer, and turns the consumer's reports into drained() results.
//
//   container pipe ──epoll/read──> producer worker k ──ring k (SAB)──> consumer worker ──write──> logs/<id>.log
//
// Threads: `producers` producer workers (default 2), each serving any number of pipes, plus one
// consumer worker: 3 threads for 1 container or 256. Shared layout: ring.ts. Messages: messages.ts.

import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { REPO_ROOT } from '../paths.js';
import {
  C_STOP_CONSUMER, C_STOP_PRODUCERS, MAX_SLOT, Ring, STREAM_FIELDS, S_DROPPED, S_PUBLISHED, S_WRITTEN,
  createControlBuffer, createRingBuffer, createStreamTable, forceDoorbell, W_READ,
} from './ring.js';
import type { ConsumerInit, FromConsumer, FromProducer, ProducerInit, ToConsumer, ToProducer } from './messages.js';
import type { LogAttachOptions, LogDrainResult, LogPipeline, LogStats } from './types.js';

export interface PipelineLogger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
  error(o: object, msg?: string): void;
}

export interface LogPipelineOptions {
  /** producer workers (each multiplexes any number of pipes); default 2 */
  producers?: number;
  /** bytes of ring per producer, a power of two; default 8 MiB */
  ringBytes?: number;
  /**
   * F_SETPIPE_SZ for each attached pipe; default and maximum 1 MiB (the default pipe-max-size). A 4 MiB
   * pipe (root may exceed pipe-max-size) measured ~10x slower on this kernel (6.18), so it is not offered.
   */
  pipeBytes?: number;
  /** largest single read; default 1 MiB */
  maxReadBytes?: number;
  /**
   * Wake-up batching: after an epoll round that read less than coalesceBytes (default 256 KiB) in
   * total, the producer naps this long before polling again, so pipes fill and reads get bigger
   * (fewer reads, records and consumer wake-ups per byte). Default 500 µs; 0 turns it off. Adds at
   * most that much latency to a trickle of output.
   */
  coalesceUs?: number;
  coalesceBytes?: number;
  /** streams attached at once; default 4096 */
  maxStreams?: number;
  /** non-blocking mode: default buffer when attach() gives none; default 1 MiB */
  defaultBufferBytes?: number;
  logger?: PipelineLogger;
}

/** stats() extended with the pipeline's own view; drained() results carry `cut`. */
export interface LogStreamStats extends LogStats {
  /** bytes read from the pipe and handed to the consumer so far */
  read: number;
  /** true once drained */
  done: boolean;
  /** true if shutdown stopped reading before the pipe reached EOF */
  cut: boolean;
}

interface Entry {
  id: string;
  slot: number;
  producer: number;
  logPath: string;
  done: boolean;
  forgotten: boolean;
  result?: LogDrainResult & { cut: boolean; error?: string };
  promise: Promise<LogDrainResult>;
  resolve: (r: LogDrainResult) => void;
}

const WORKER_DIR = path.join(REPO_ROOT, 'dist/workers');
const silent: PipelineLogger = { info() {}, warn() {}, error() {} };

function checkInt(name: string, v: unknown, min: number, max: number): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${name} must be an integer`);
  if (v < min || v > max) throw new RangeError(`${name} must be between ${min} and ${max}, got ${v}`);
}

export class LogPipelineImpl implements LogPipeline {
  private readonly nProducers: number;
  private readonly ringBytes: number;
  private readonly pipeBytes: number;
  private readonly maxRead: number;
  private readonly maxStreams: number;
  private readonly defaultBuffer: number;
  private readonly coalesceUs: number;
  private readonly coalesceBytes: number;
  private readonly log: PipelineLogger;

  private control!: SharedArrayBuffer;
  private table!: Float64Array;
  private rings: Ring[] = [];
  private producers: Worker[] = [];
  private producerPorts: MessagePort[] = [];
  private wakeFds: number[] = [];
  private producerLoad: number[] = [];
  private consumer?: Worker;
  private consumerPort?: MessagePort;
  private startPromise?: Promise<void>;
  private closePromise?: Promise<void>;
  private stopping = false;

  private readonly byId = new Map<string, Entry>();
  private readonly bySlot = new Map<number, Entry>();
  private freeSlots: number[] = [];
  private nextSlot = 0;

  constructor(opts: LogPipelineOptions = {}) {
    checkInt('producers', opts.producers, 1, 64);
    checkInt('ringBytes', opts.ringBytes, 4096, 1 << 30);
    if (opts.ringBytes !== undefined && (opts.ringBytes & (opts.ringBytes - 1)) !== 0) {
      throw new RangeError(`ringBytes must be a power of two, got ${opts.ringBytes}`);
    }
    checkInt('pipeBytes', opts.pipeBytes, 4096, 1 << 20);
    checkInt('maxReadBytes', opts.maxReadBytes, 4096, 1 << 30);
    checkInt('maxStreams', opts.maxStreams, 1, MAX_SLOT);
    checkInt('defaultBufferBytes', opts.defaultBufferBytes, 1, 1 << 30);
    checkInt('coalesceUs', opts.coalesceUs, 0, 100000);
    checkInt('coalesceBytes', opts.coalesceBytes, 0, 1 << 30);
    this.coalesceUs = opts.coalesceUs ?? 500;
    this.coalesceBytes = opts.coalesceBytes ?? 256 * 1024;
    this.nProducers = opts.producers ?? 2;
    this.ringBytes = opts.ringBytes ?? 8 * 1024 * 1024;
    this.pipeBytes = opts.pipeBytes ?? 1024 * 1024;
    this.maxRead = opts.maxReadBytes ?? 1024 * 1024;
    this.maxStreams = opts.maxStreams ?? 4096;
    this.defaultBuffer = opts.defaultBufferBytes ?? 1024 * 1024;
    this.log = opts.logger ?? silent;
  }

  /** Worker threads this pipeline runs (independent of the number of containers). */
  get threadCount(): number {
    return this.nProducers + 1;
  }

  start(): Promise<void> {
    this.startPromise ??= this.startWorkers();
    return this.startPromise;
  }

  private async startWorkers(): Promise<void> {
    this.control = createControlBuffer();
    const streamsSab = createStreamTable(this.maxStreams);
    this.table = new Float64Array(streamsSab);
    const ringSabs: SharedArrayBuffer[] = [];
    const ready: Promise<void>[] = [];

    for (let i = 0; i < this.nProducers; i++) {
      const sab = createRingBuffer(this.ringBytes);
      ringSabs.push(sab);
      this.rings.push(new Ring(sab));
      const { port1, port2 } = new MessageChannel();
      const init: ProducerInit = {
        index: i, ring: sab, control: this.control, streams: streamsSab,
        pipeBytes: this.pipeBytes, maxRead: this.maxRead, port: port2,
        coalesceUs: this.coalesceUs, coalesceBytes: this.coalesceBytes,
      };
      const w = new Worker(path.join(WORKER_DIR, 'logs-producer.js'), {
        workerData: init, transferList: [port2], trackUnmanagedFds: false,
      });
      this.producers.push(w);
      this.producerPorts.push(port1);
      this.producerLoad.push(0);
      this.wakeFds.push(-1);
      ready.push(new Promise((resolve, reject) => {
        w.once('error', reject);
        w.on('message', (m: FromProducer) => {
          if (m.type === 'ready') {
            this.wakeFds[m.index] = m.wakeFd;
            resolve();
          } else if (m.type === 'warn') {
            this.log.warn({ id: this.idOf(m.slot), producer: i }, `log producer: ${m.msg}`);
          } else if (m.type === 'stopped' && m.cut.length > 0) {
            this.log.warn({ ids: m.cut.map((s) => this.idOf(s)) }, 'log pipeline: streams cut at shutdown');
          }
        });
      }));
      w.on('error', (e) => this.log.error({ err: e, producer: i }, 'log producer failed'));
    }

    const { port1, port2 } = new MessageChannel();
    const cinit: ConsumerInit = { rings: ringSabs, control: this.control, streams: streamsSab, port: port2 };
    // trackUnmanagedFds off: the consumer closes files the main thread opened and reopens on rotation;
    // Node must not close (possibly reused) fd numbers on its behalf when it exits.
    const c = new Worker(path.join(WORKER_DIR, 'logs-consumer.js'), {
      workerData: cinit, transferList: [port2], trackUnmanagedFds: false,
    });
    this.consumer = c;
    this.consumerPort = port1;
    ready.push(new Promise((resolve, reject) => {
      c.once('error', reject);
      c.on('message', (m: FromConsumer) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'drained') this.onDrained(m.slot, m.bytes, m.dropped, m.cut, m.error);
        else if (m.type === 'warn') this.log.warn({ id: this.idOf(m.slot) }, `log consumer: ${m.msg}`);
      });
    }));
    c.on('error', (e) => {
      this.log.error({ err: e }, 'log consumer failed');
      this.settleAll('consumer failed');
    });
    await Promise.all(ready);
    this.log.info({ producers: this.nProducers, ringBytes: this.ringBytes, threads: this.threadCount }, 'log pipeline started');
  }

  private idOf(slot: number | undefined): string | undefined {
    return slot === undefined ? undefined : this.bySlot.get(slot)?.id;
  }

  attach(id: string, readFd: number, logPath: string, options: LogAttachOptions = {}): void {
    let resolve!: (r: LogDrainResult) => void;
    const promise = new Promise<LogDrainResult>((r) => (resolve = r));
    const entry: Entry = { id, slot: -1, producer: -1, logPath, done: false, forgotten: false, promise, resolve };
    const old = this.byId.get(id);
    if (old && !old.done) this.log.error({ id }, 'log pipeline: attach for an id whose stream is still open');
    this.byId.set(id, entry);

    if (this.stopping || !this.startPromise) {
      this.log.error({ id }, this.stopping ? 'log pipeline: attach after close()' : 'log pipeline: attach before start()');
      closeQuietly(readFd);
      this.settle(entry, { bytes: 0, dropped: 0, cut: true, error: 'pipeline not running' });
      return;
    }
    const slot = this.freeSlots.pop() ?? (this.nextSlot < this.maxStreams ? this.nextSlot++ : -1);
    if (slot < 0) {
      this.log.error({ id, maxStreams: this.maxStreams }, 'log pipeline: too many streams; output discarded');
      closeQuietly(readFd);
      this.settle(entry, { bytes: 0, dropped: 0, cut: true, error: 'too many streams' });
      return;
    }
    entry.slot = slot;
    this.bySlot.set(slot, entry);
    this.table.fill(0, slot * STREAM_FIELDS, (slot + 1) * STREAM_FIELDS);

    let fileFd = -1;
    try {
      fs.mkdirSync(path.dirname(logPath), { recursive: true });
      fileFd = fs.openSync(logPath, 'w', 0o640);
    } catch (e) {
      this.log.error({ id, err: e, logPath }, 'log pipeline: cannot open the log file; output is read and discarded');
    }
    const nonBlocking = options.mode === 'non-blocking';
    const open: ToConsumer = { type: 'open', slot, fileFd, path: logPath, maxBytes: options.maxBytes ?? 0 };
    const add: ToProducer = {
      type: 'add', slot, fd: readFd, nonBlocking, bufferBytes: options.bufferBytes ?? this.defaultBuffer,
    };
    const send = (): void => {
      if (this.stopping) {
        // close() began before the workers were up: nothing will read this pipe.
        closeQuietly(readFd);
        if (fileFd >= 0) closeQuietly(fileFd);
        this.onDrained(slot, 0, 0, true, 'pipeline closed');
        return;
      }
      // The consumer learns the file before the producer can publish a byte of the stream.
      this.consumerPort!.postMessage(open);
      let k = 0;
      for (let i = 1; i < this.nProducers; i++) if (this.producerLoad[i] < this.producerLoad[k]) k = i;
      entry.producer = k;
      this.producerLoad[k]++;
      this.producerPorts[k].postMessage(add);
      this.wake(k);
    };
    if (this.consumerPort && this.wakeFds.every((fd) => fd >= 0)) send();
    else this.startPromise.then(send, (e) => {
      this.log.error({ id, err: e }, 'log pipeline failed to start');
      closeQuietly(readFd);
      if (fileFd >= 0) closeQuietly(fileFd);
      this.onDrained(slot, 0, 0, true, 'pipeline failed to start');
    });
  }

  private wake(k: number): void {
    const fd = this.wakeFds[k];
    if (fd < 0) return;
    const one = Buffer.alloc(8);
    one.writeUInt32LE(1, 0);
    try {
      fs.writeSync(fd, one);
    } catch {
      /* EAGAIN: the counter is saturated, the producer wakes anyway */
    }
  }

  private onDrained(slot: number, bytes: number, dropped: number, cut: boolean, error?: string): void {
    const e = this.bySlot.get(slot);
    if (!e) return;
    this.bySlot.delete(slot);
    if (e.producer >= 0) this.producerLoad[e.producer]--;
    this.freeSlots.push(slot);
    this.settle(e, { bytes, dropped, cut, error });
  }

  private settle(e: Entry, r: LogDrainResult & { cut: boolean; error?: string }): void {
    if (e.done) return;
    e.done = true;
    e.result = r;
    if (e.forgotten && this.byId.get(e.id) === e) this.byId.delete(e.id);
    e.resolve({ ...r });
  }

  /** Resolves every open stream with what it has (a worker died); never leaves drained() hanging. */
  private settleAll(why: string): void {
    for (const [slot, e] of [...this.bySlot]) {
      const base = slot * STREAM_FIELDS;
      this.onDrained(slot, this.table[base + S_WRITTEN], this.table[base + S_DROPPED], true, why);
      void e;
    }
  }

  drained(id: string): Promise<LogDrainResult> {
    const e = this.byId.get(id);
    if (!e) return Promise.reject(Object.assign(new Error(`no log stream for ${id}`), { code: 'ENOENT' }));
    return e.promise;
  }

  stats(id: string): LogStreamStats | undefined {
    const e = this.byId.get(id);
    if (!e) return undefined;
    if (e.done && e.result) {
      return { bytes: e.result.bytes, dropped: e.result.dropped, read: e.result.bytes + 0, done: true, cut: e.result.cut };
    }
    if (e.slot < 0) return { bytes: 0, dropped: 0, read: 0, done: false, cut: false };
    const base = e.slot * STREAM_FIELDS;
    return {
      bytes: this.table[base + S_WRITTEN],
      dropped: this.table[base + S_DROPPED],
      read: this.table[base + S_PUBLISHED],
      done: false,
      cut: false,
    };
  }

  forget(id: string): void {
    const e = this.byId.get(id);
    if (!e) return;
    if (e.done) this.byId.delete(id);
    else e.forgotten = true;
  }

  close(graceMs = 2000): Promise<void> {
    this.closePromise ??= this.shutdown(graceMs);
    return this.closePromise;
  }

  private async shutdown(graceMs: number): Promise<void> {
    if (this.startPromise) await this.startPromise.catch(() => undefined);
    // 1. Let streams end by themselves for up to graceMs.
    const open = [...this.bySlot.values()].map((e) => e.promise);
    if (open.length > 0 && graceMs > 0) await Promise.race([Promise.all(open), sleep(graceMs)]);
    this.stopping = true;
    if (!this.consumer) return;

    // 2. Producers cut what is still open (EOF records after every byte they read) and exit.
    const ctl = new Int32Array(this.control);
    Atomics.store(ctl, C_STOP_PRODUCERS, 1);
    for (let k = 0; k < this.producers.length; k++) {
      this.wake(k);
      Atomics.notify(this.rings[k].hdr, W_READ);
    }
    await Promise.all(this.producers.map((w) => exited(w, 3000)));
    for (const fd of this.wakeFds) if (fd >= 0) closeQuietly(fd);
    this.wakeFds = this.wakeFds.map(() => -1);

    // 3. The consumer writes everything published, closes the files and exits.
    Atomics.store(ctl, C_STOP_CONSUMER, 1);
    forceDoorbell(ctl);
    await exited(this.consumer, 5000);
    this.settleAll('pipeline closed');
    for (const p of this.producerPorts) p.close();
    this.consumerPort?.close();
    this.log.info({}, 'log pipeline closed');
  }
}

export function createLogPipeline(opts: LogPipelineOptions = {}): LogPipelineImpl {
  return new LogPipelineImpl(opts);
}

/** The name the supervisor imports. */
export { LogPipelineImpl as Pipeline };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** Resolves when the worker has exited; terminates it after timeoutMs (it never blocks for long). */
function exited(w: Worker, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (w.threadId < 0) return resolve();
    const t = setTimeout(() => void w.terminate().then(() => resolve(), () => resolve()), timeoutMs);
    w.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd); // fds handed to us or opened here, on this thread
  } catch {
    /* already closed */
  }
}
