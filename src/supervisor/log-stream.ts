// Streams a container's log file to a client: all of it, or from the start of the last N lines,
// and with follow until the container has ended and every byte is sent. Reads in chunks, never
// the whole file.

import fs from 'node:fs';
import type { Container } from './container.js';
import type { Connection } from './connection.js';

const CHUNK = 64 * 1024;
const FOLLOW_POLL_MS = 50;

/** Byte offset at which the last `lines` lines of the file begin. */
export async function tailOffset(file: string, lines: number): Promise<number> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    if (lines === 0) return size;
    const buf = Buffer.allocUnsafe(CHUNK);
    let pos = size;
    let newlines = 0;
    while (pos > 0) {
      const start = Math.max(0, pos - CHUNK);
      const { bytesRead } = await fh.read(buf, 0, pos - start, start);
      for (let i = bytesRead - 1; i >= 0; i--) {
        if (buf[i] !== 0x0a) continue;
        if (start + i === size - 1) continue; // the newline that ends the file ends the last line
        if (++newlines === lines) return start + i + 1;
      }
      pos = start;
    }
    return 0;
  } finally {
    await fh.close();
  }
}

export interface StreamOptions {
  tail?: number;
  follow: boolean;
  /** start here instead (run streams from the first byte) */
  from?: number;
}

export async function streamLog(c: Container, conn: Connection, opts: StreamOptions): Promise<void> {
  const file = c.record.logPath;
  const fh = await openWhenPresent(file, c, conn, opts.follow);
  if (!fh) return;
  try {
    let offset = opts.from ?? (opts.tail !== undefined ? await tailOffset(file, opts.tail) : 0);
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      if (conn.closed) return;
      const finishedBefore = c.isFinished;
      const { bytesRead } = await fh.read(buf, 0, CHUNK, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        await conn.data(buf.subarray(0, bytesRead));
        continue;
      }
      // Finished means drained: every byte was in the file before this last read.
      if (!opts.follow || finishedBefore) return;
      await Promise.race([c.done, conn.whenClosed(), sleep(FOLLOW_POLL_MS)]);
    }
  } finally {
    await fh.close();
  }
}

async function openWhenPresent(file: string, c: Container, conn: Connection, follow: boolean): Promise<fs.promises.FileHandle | null> {
  for (;;) {
    try {
      return await fs.promises.open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !follow || c.isFinished || conn.closed) return null;
      await sleep(FOLLOW_POLL_MS);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
