// The bench writer's byte pattern (bench/logs/writer.c), for checks in JavaScript:
//   byte at stream offset o = ((((o + seed) % 65521) * 2654435761) mod 2^32) >> 13, low 8 bits.

export const PATTERN_PERIOD = 65521;

/** PATTERN_PERIOD + extra bytes of the pattern, so any window of `extra` bytes is one subarray. */
export function patternBuffer(extra: number): Buffer {
  const b = Buffer.allocUnsafe(PATTERN_PERIOD + extra);
  for (let i = 0; i < b.length; i++) b[i] = Number((BigInt(i % PATTERN_PERIOD) * 2654435761n) & 0xffffffffn) >>> 13;
  return b;
}

/** The writer's first `n` bytes for a seed (small n: tests). */
export function patternBytes(n: number, seed = 0): Buffer {
  const p = patternBuffer(n);
  const s = seed % PATTERN_PERIOD;
  return Buffer.from(p.subarray(s, s + n));
}
