// Frames on the control socket: [u32 big-endian payload length][u8 kind][payload].
// kind 1 = a JSON message, kind 2 = raw container output (logs, run). Length-prefixed frames let
// log bytes pass untouched, and let both sides reject an oversized frame before buffering it.

export const FRAME_JSON = 1;
export const FRAME_DATA = 2;
export const HEADER_BYTES = 5;
/** Requests are small; anything bigger is an error, not a reason to buffer. */
export const MAX_REQUEST_BYTES = 256 * 1024;
/** Data frames carry at most this much (the sender splits). */
export const MAX_DATA_FRAME = 256 * 1024;

export type Frame = { kind: typeof FRAME_JSON; message: unknown } | { kind: typeof FRAME_DATA; data: Buffer };

export function encodeJson(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  out.writeUInt8(FRAME_JSON, 4);
  body.copy(out, HEADER_BYTES);
  return out;
}

export function encodeDataHeader(length: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES);
  out.writeUInt32BE(length, 0);
  out.writeUInt8(FRAME_DATA, 4);
  return out;
}

export class FrameError extends Error {}

/** Incremental decoder: push() chunks, get whole frames. Throws FrameError on bad input. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** what a frame is, in the limit's message: "a request", "a reply" */
  constructor(
    private readonly maxFrame: number,
    private readonly what = 'a frame',
  ) {}

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < HEADER_BYTES) break;
      const head = this.peek(HEADER_BYTES);
      const length = head.readUInt32BE(0);
      const kind = head.readUInt8(4);
      if (kind !== FRAME_JSON && kind !== FRAME_DATA) throw new FrameError(`unknown frame kind ${kind}`);
      if (length > this.maxFrame) throw new FrameError(`${this.what} of ${length} bytes is over the limit: ${this.what} may hold at most ${sizeText(this.maxFrame, true)}`);
      if (this.buffered < HEADER_BYTES + length) break;
      const whole = this.take(HEADER_BYTES + length).subarray(HEADER_BYTES);
      if (kind === FRAME_DATA) {
        frames.push({ kind, data: whole });
      } else {
        let message: unknown;
        try {
          message = JSON.parse(whole.toString('utf8'));
        } catch {
          throw new FrameError('request is not valid JSON');
        }
        frames.push({ kind, message });
      }
    }
    return frames;
  }

  get pendingBytes(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}

/** 262144 -> "256 KiB" (with exact: "256 KiB (262144 bytes)") */
export function sizeText(bytes: number, exact = false): string {
  const unit = bytes >= 1 << 20 && bytes % (1 << 20) === 0 ? `${bytes / (1 << 20)} MiB` : bytes >= 1 << 10 && bytes % (1 << 10) === 0 ? `${bytes / (1 << 10)} KiB` : null;
  if (!unit) return `${bytes} bytes`;
  return exact ? `${unit} (${bytes} bytes)` : unit;
}
