// A seeded, bounded fuzzer of the control protocol (npm run fuzz; a short run in `make test`). It
// speaks the framing directly, one case per connection: valid requests, wrong types, unknown
// fields, broken and deeply nested JSON, binary garbage, unknown frame kinds, truncated and
// oversized frames, half-open clients, slow clients, stalled clients, and connect floods.
//
// What counts as a failure: a connection that gets neither a reply nor a close within the
// deadline (a hang), a reply that is not one well-formed frame, any `internal` error, and a
// supervisor that stops answering. Growth is judged by the caller from before/after samples.

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { encodeJson, FrameDecoder, HEADER_BYTES, MAX_REQUEST_BYTES } from '../../src/protocol/framing.js';
import { REQUEST_DEADLINE_MS } from '../../src/supervisor/server.js';

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzCase {
  kind: string;
  /** the bytes, sent in these pieces (one piece unless slow) */
  pieces: Buffer[];
  /** pause between pieces (slow clients) */
  gapMs?: number;
  /** shut the write side after sending (half-open) */
  end?: boolean;
  /** send nothing more and wait: the supervisor's request deadline must answer */
  stall?: boolean;
}

export interface FuzzOptions {
  socket: string;
  frames: number;
  seed: number;
  /** cases in flight at once */
  concurrency?: number;
  /** of the cases, this many are stalled clients (each costs the request deadline, run in parallel) */
  stalled?: number;
  /** connections opened at once and held, after the cases (0: none) */
  flood?: number;
  /** a path that does not exist: random start requests point their rootfs into it */
  missingDir?: string;
}

export interface FuzzResult {
  seed: number;
  cases: number;
  ms: number;
  /** per case kind: cases sent */
  kinds: Record<string, number>;
  /** error codes of the replies (ok replies under "ok") */
  replies: Record<string, number>;
  hangs: number;
  internal: number;
  /** replies that were not one well-formed frame, closes without a reply where one was due */
  malformed: number;
  /** the first few problems, described */
  problems: string[];
  flood: FloodResult | null;
  latencyMs: { p50: number; p99: number; max: number };
}

export interface FloodResult {
  attempted: number;
  /** connects the kernel refused (EAGAIN: the listen queue was full) */
  refusedByKernel: number;
  /** connections the supervisor closed with a `busy` reply (the oldest idle first) */
  busyReplies: number;
  /** most connections open at once on the client side */
  maxOpen: number;
  ms: number;
}

const VERBS = ['ping', 'ps', 'info', 'inspect', 'logs', 'stop', 'rm', 'start', 'run'];

function frame(kind: number, body: Buffer, length = body.length): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt32BE(length >>> 0, 0);
  h.writeUInt8(kind & 0xff, 4);
  return Buffer.concat([h, body]);
}

/** The case generator: every kind from the same seeded stream. */
export class Cases {
  private readonly r: () => number;
  constructor(
    seed: number,
    private readonly missingDir: string,
  ) {
    this.r = prng(seed);
  }

  private int(n: number): number {
    return Math.floor(this.r() * n);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }

  private id(): string {
    const forms = ['fz-' + this.int(1000), '', '.hidden', '-x', 'a/b', 'x'.repeat(65), 'é', 'ok_id.1', String(this.int(10))];
    return this.pick(forms);
  }

  /** A random value of any JSON type, some huge or odd. */
  private value(depth = 0): unknown {
    switch (this.int(depth > 2 ? 7 : 9)) {
      case 0: return null;
      case 1: return this.r() < 0.5;
      case 2: return this.pick([0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308, 65, 19, -20]);
      case 3: return this.pick(['', 'x', 'ps', '\u0000', '\ud800', '💥', '/bin/sh', '--nice', 'seccomp=unconfined']);
      case 4: return 'y'.repeat(this.pick([4097, 70_000, 140_000]));
      case 5: return [];
      case 6: return {};
      case 7: return Array.from({ length: this.int(4) }, () => this.value(depth + 1));
      default: return Object.fromEntries(Array.from({ length: this.int(4) }, (_, i) => [`k${i}`, this.value(depth + 1)]));
    }
  }

  /** A request that validates, or nearly: harmless verbs, random ids, starts that cannot start. */
  private request(): Record<string, unknown> {
    const verb = this.pick(VERBS);
    switch (verb) {
      case 'ping':
      case 'ps':
        return { verb };
      case 'info':
        return { verb, resetLoopDelay: false };
      case 'inspect':
        return { verb, id: this.id(), spec: this.r() < 0.5 };
      case 'logs':
        return { verb, id: this.id(), tail: this.int(5) };
      case 'stop':
        return { verb, id: this.id(), timeoutMs: this.int(2) };
      case 'rm':
        return { verb, id: this.id() };
      default:
        return {
          verb,
          id: this.id(),
          // Never a real rootfs: a start may be refused in any way, but never start a container.
          rootfs: `${this.missingDir}/${this.int(100)}`,
          command: this.pick([['/bin/true'], ['echo hi there'], [''], [], ['/x', '--nice', '3']]),
          softMib: this.pick([40, 0, -1, 65, 1.5, 2 ** 40]),
          hardMib: this.pick([64, 1, 1024 * 1024 + 1]),
          nice: this.pick([0, 19, 20, -21]),
          cpus: this.pick([undefined, '0', '0-', 'x', '99999']),
          logMode: this.pick(['blocking', 'non-blocking', 'other']),
          capAdd: this.pick([undefined, ['ALL'], ['NOPE'], 'SYS_ADMIN']),
          securityOpt: this.pick([undefined, ['seccomp=/nonexistent.json'], ['no-new-privileges'], ['apparmor=x']]),
          ulimit: this.pick([undefined, ['nofile=1:2'], ['bad']]),
        };
    }
  }

  next(): FuzzCase {
    const k = this.int(20);
    if (k < 3) return { kind: 'valid', pieces: [encodeJson(this.request())] };
    if (k < 6) {
      const req = this.request();
      const keys = Object.keys(req);
      req[this.pick(keys)] = this.value();
      return { kind: 'wrong-type', pieces: [encodeJson(req)] };
    }
    if (k < 7) return { kind: 'unknown-field', pieces: [encodeJson({ ...this.request(), [`x${this.int(9)}`]: this.value() })] };
    if (k < 9) {
      // Valid JSON text, mutated: bytes flipped, dropped, duplicated.
      const text = Buffer.from(JSON.stringify(this.request()));
      for (let i = 0, n = 1 + this.int(4); i < n; i++) {
        const at = this.int(text.length);
        text[at] = this.pick([0x7b, 0x7d, 0x22, 0x5c, 0x2c, 0x3a, 0x00, 0xff, 0x5b, this.int(256)]);
      }
      return { kind: 'broken-json', pieces: [frame(1, text)] };
    }
    if (k < 10) {
      const depth = this.pick([100, 5_000, 60_000]);
      const [o, c] = this.r() < 0.5 ? ['[', ']'] : ['{"a":', '}'];
      const body = Buffer.from(`{"verb":${o.repeat(depth)}1${c.repeat(depth)}}`);
      return { kind: 'deep-json', pieces: [frame(1, body.subarray(0, Math.min(body.length, MAX_REQUEST_BYTES)))] };
    }
    if (k < 12) {
      const body = Buffer.from(Array.from({ length: this.int(300) }, () => this.int(256)));
      return { kind: 'garbage', pieces: [frame(this.pick([1, 2, 0, 3, 255]), body)] };
    }
    if (k < 13) return { kind: 'raw-bytes', pieces: [Buffer.from(Array.from({ length: 5 + this.int(64) }, () => this.int(256)))], end: true };
    if (k < 14) return { kind: 'oversized', pieces: [frame(1, Buffer.from('{"verb":'), MAX_REQUEST_BYTES + 1 + this.int(2 ** 31))] };
    if (k < 15) {
      const whole = encodeJson(this.request());
      return { kind: 'truncated', pieces: [whole.subarray(0, 1 + this.int(whole.length - 1))], end: true };
    }
    if (k < 16) return { kind: 'empty', pieces: [], end: true };
    if (k < 17) return { kind: 'two-frames', pieces: [Buffer.concat([encodeJson({ verb: 'ping' }), frame(this.int(4), Buffer.from('junk'))])] };
    if (k < 18) return { kind: 'huge-word', pieces: [encodeJson({ ...this.request(), verb: 'start', command: ['z'.repeat(200 * 1024)], id: 'fz-huge', rootfs: this.missingDir })] };
    if (k < 19) {
      // A slow client: the request in several pieces, well within the deadline.
      const whole = encodeJson({ verb: 'ping' });
      const cuts = [0, 2, 5, 9, whole.length].filter((c, i, a) => c <= whole.length && a.indexOf(c) === i);
      return { kind: 'slow', pieces: cuts.slice(1).map((c, i) => whole.subarray(cuts[i], c)), gapMs: 5 + this.int(30) };
    }
    return { kind: 'zero-length', pieces: [frame(1, Buffer.alloc(0))] };
  }

  stalled(): FuzzCase {
    const whole = encodeJson({ verb: 'ps' });
    return { kind: 'stalled', pieces: [whole.subarray(0, this.int(whole.length - 1))], stall: true };
  }
}

interface Outcome {
  reply: Buffer;
  closed: boolean;
  ms: number;
  error?: string;
}

/** One case on one connection: resolves with what came back once the supervisor closed it. */
export function exchange(socket: string, c: FuzzCase, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const began = performance.now();
    const s = net.connect(socket);
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean, error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ reply: Buffer.concat(chunks), closed, ms: performance.now() - began, error });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    s.on('data', (d) => chunks.push(d));
    s.on('close', () => finish(true));
    s.on('error', (err: NodeJS.ErrnoException) => {
      // The supervisor may close before the client has written everything (an oversized header
      // is refused at once): EPIPE/ECONNRESET after a reply is fine, judged by the reply.
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') return;
      finish(true, err.code ?? err.message);
    });
    s.on('connect', async () => {
      for (let i = 0; i < c.pieces.length && !done; i++) {
        if (i > 0 && c.gapMs) await new Promise((r) => setTimeout(r, c.gapMs));
        if (!s.destroyed) s.write(c.pieces[i]);
      }
      if (c.end && !s.destroyed) s.end();
    });
  });
}

const CODES = new Set(['bad_request', 'invalid_argument', 'not_found', 'conflict', 'failed_precondition', 'start_failed', 'busy', 'permission_denied', 'shutting_down', 'internal']);

/** Checks a reply; returns its code ('ok' or the error code) or a problem. */
export function judge(out: Outcome): { code?: string; problem?: string } {
  if (!out.closed) return { problem: 'hang: no reply and no close within the deadline' };
  if (out.error) return { problem: `connection error ${out.error}` };
  if (out.reply.length === 0) return { problem: 'closed without a reply' };
  let frames;
  try {
    frames = new FrameDecoder(64 << 20, 'a reply').push(out.reply);
  } catch (err) {
    return { problem: `reply is not a frame: ${(err as Error).message}` };
  }
  const first = frames[0];
  if (!first || first.kind !== 1) return { problem: 'reply does not start with a JSON frame' };
  const m = first.message as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  if (m.ok === true) return { code: 'ok' };
  if (m.ok !== false || typeof m.error?.code !== 'string' || !CODES.has(m.error.code)) return { problem: `not a reply: ${JSON.stringify(m).slice(0, 200)}` };
  if (typeof m.error.message !== 'string' || m.error.message.includes('\n') || m.error.message.length > 2000) return { problem: `error message is not one short line: ${String(m.error.message).slice(0, 200)}` };
  return { code: m.error.code };
}

function percentile(sorted: number[], q: number): number {
  return sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10 : 0;
}

export async function fuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const began = performance.now();
  const cases = new Cases(opts.seed, opts.missingDir ?? '/nonexistent/engine-fuzz');
  const result: FuzzResult = { seed: opts.seed, cases: 0, ms: 0, kinds: {}, replies: {}, hangs: 0, internal: 0, malformed: 0, problems: [], flood: null, latencyMs: { p50: 0, p99: 0, max: 0 } };
  const latencies: number[] = [];
  const deadline = REQUEST_DEADLINE_MS + 5000;
  const record = (c: FuzzCase, out: Outcome) => {
    result.cases++;
    result.kinds[c.kind] = (result.kinds[c.kind] ?? 0) + 1;
    const { code, problem } = judge(out);
    if (problem) {
      if (problem.startsWith('hang')) result.hangs++;
      else result.malformed++;
      if (result.problems.length < 10) result.problems.push(`${c.kind}: ${problem}`);
      return;
    }
    result.replies[code!] = (result.replies[code!] ?? 0) + 1;
    if (code === 'internal') {
      result.internal++;
      if (result.problems.length < 10) result.problems.push(`${c.kind}: internal error`);
    }
    if (!c.stall) latencies.push(out.ms);
  };

  const stalled = Math.min(opts.stalled ?? 0, opts.frames);
  const stalledRuns = Array.from({ length: stalled }, () => {
    const c = cases.stalled();
    return exchange(opts.socket, c, deadline).then((out) => record(c, out));
  });
  let left = opts.frames - stalled;
  const worker = async () => {
    while (left > 0) {
      left--;
      const c = cases.next();
      record(c, await exchange(opts.socket, c, deadline));
    }
  };
  await Promise.all([...stalledRuns, ...Array.from({ length: opts.concurrency ?? 16 }, worker)]);
  if (opts.flood) result.flood = await connectFlood(opts.socket, opts.flood);
  latencies.sort((a, b) => a - b);
  result.latencyMs = { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: percentile(latencies, 1) };
  result.ms = Math.round(performance.now() - began);
  return result;
}

/**
 * Opens `n` connections as fast as it can and holds each until the supervisor closes it, at most
 * `holdAtOnce` open on this side; resolves when all are closed (the held ones by this side).
 */
export async function connectFlood(socket: string, n: number, opts: { holdAtOnce?: number; holdMs?: number } = {}): Promise<FloodResult> {
  const began = performance.now();
  const holdAtOnce = opts.holdAtOnce ?? 4000;
  const res: FloodResult = { attempted: 0, refusedByKernel: 0, busyReplies: 0, maxOpen: 0, ms: 0 };
  const open = new Set<net.Socket>();
  let waiting: (() => void) | null = null;
  const freed = () => {
    const w = waiting;
    waiting = null;
    w?.();
  };
  const all: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    while (open.size >= holdAtOnce) await new Promise<void>((r) => (waiting = r));
    res.attempted++;
    const s = net.connect(socket);
    open.add(s);
    res.maxOpen = Math.max(res.maxOpen, open.size);
    all.push(
      new Promise<void>((resolve) => {
        let got = Buffer.alloc(0);
        s.on('data', (d) => (got = Buffer.concat([got, d])));
        s.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'EAGAIN') res.refusedByKernel++;
        });
        s.on('close', () => {
          if (got.length > HEADER_BYTES && got.includes('"busy"')) res.busyReplies++;
          open.delete(s);
          freed();
          resolve();
        });
      }),
    );
    // Give the event loop a turn now and then, so closes are seen while the flood goes on.
    if (i % 256 === 255) await new Promise((r) => setImmediate(r));
  }
  // The ones still open: held a moment (idle), then closed by this side.
  await new Promise((r) => setTimeout(r, opts.holdMs ?? 200));
  for (const s of open) s.destroy();
  await Promise.all(all);
  res.ms = Math.round(performance.now() - began);
  return res;
}
