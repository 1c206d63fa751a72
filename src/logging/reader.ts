// Readers for `engine logs`: where the last N lines start, and streaming a byte range in chunks.
// Neither ever holds more than one chunk of the file in memory.

import fs from 'node:fs';

const CHUNK = 64 * 1024;

/**
 * Byte offset at which the last `lines` lines of the file begin (0 if it has fewer lines).
 * A final line without a newline counts as a line; the newline that ends the file does not start an
 * empty line. lines = 0 gives the file's size. Reads backwards in 64 KiB chunks.
 * `size` (optional) scans as if the file ended there (a file still growing).
 */
export async function tailStart(path: string, lines: number, size?: number): Promise<number> {
  if (!Number.isInteger(lines) || lines < 0) throw new RangeError(`lines must be a non-negative integer, got ${lines}`);
  const fh = await fs.promises.open(path, 'r');
  try {
    const end = size ?? (await fh.stat()).size;
    if (lines === 0 || end === 0) return end;
    const buf = Buffer.allocUnsafe(CHUNK);
    let pos = end;
    let seen = 0;
    while (pos > 0) {
      const start = Math.max(0, pos - CHUNK);
      const { bytesRead } = await fh.read(buf, 0, pos - start, start);
      for (let i = bytesRead - 1; i >= 0; i--) {
        if (buf[i] !== 0x0a || start + i === end - 1) continue;
        if (++seen === lines) return start + i + 1;
      }
      pos = start;
    }
    return 0;
  } finally {
    await fh.close();
  }
}
