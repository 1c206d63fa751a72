// Streams a container's log file to a client: all of it, or from the start of the last N lines,
// and with follow until the container has ended and every byte is sent. Reads in chunks, never
// the whole file. With rotation (--log-max-mib) a reader at the end of a file that was renamed to
// <id>.log.1 moves on to the new <id>.log.

import fs from 'node:fs';
import { tailStart } from '../logging/reader.js';
/** What is streamed: a container's log, or an exec's output (exec.ts). */
export interface LogSource {
  readonly record: { readonly logPath: string };
  /** every byte is in the file */
  readonly isFinished: boolean;
  readonly done: Promise<void>;
}
import type { Connection } from './connection.js';

const CHUNK = 64 * 1024;
const FOLLOW_POLL_MS = 50;

export interface StreamOptions {
  tail?: number;
  follow: boolean;
  /** start here instead (run streams from the first byte) */
  from?: number;
}

export async function streamLog(c: LogSource, conn: Connection, opts: StreamOptions): Promise<void> {
  const file = c.record.logPath;
  let fh = await openWhenPresent(file, c, conn, opts.follow);
  if (!fh) return;
  // Following: the file's change notifications (inotify) wake the reader as bytes arrive, so a
  // terminal's echo is not held back by the poll, which stays as the fallback (and for rotation).
  const changes = opts.follow ? new ChangeWatch(file) : null;
  try {
    let offset = opts.from ?? (opts.tail !== undefined ? await tailStart(file, opts.tail) : 0);
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      if (conn.closed) return;
      changes?.clear();
      const finishedBefore = c.isFinished;
      const { bytesRead } = await fh.read(buf, 0, CHUNK, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        await conn.data(buf.subarray(0, bytesRead));
        continue;
      }
      // At the end of a file that has been rotated away: the rest is in the new file.
      if (await replaced(file, fh)) {
        const next = await fs.promises.open(file, 'r');
        await fh.close();
        fh = next;
        offset = 0;
        continue;
      }
      // Finished means drained: every byte was in the file before this last read.
      if (!opts.follow || finishedBefore) return;
      await Promise.race([c.done, conn.whenClosed(), sleep(FOLLOW_POLL_MS), changes!.next()]);
    }
  } finally {
    changes?.close();
    await fh.close();
  }
}

async function openWhenPresent(file: string, c: LogSource, conn: Connection, follow: boolean): Promise<fs.promises.FileHandle | null> {
  for (;;) {
    try {
      return await fs.promises.open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !follow || c.isFinished || conn.closed) return null;
      await sleep(FOLLOW_POLL_MS);
    }
  }
}

/** Whether `file` now names another file than the one `fh` has open (it was rotated). */
async function replaced(file: string, fh: fs.promises.FileHandle): Promise<boolean> {
  try {
    const [now, open] = await Promise.all([fs.promises.stat(file), fh.stat()]);
    return now.ino !== open.ino || now.dev !== open.dev;
  } catch {
    return false; // not there (yet): keep the one we have
  }
}

/** Change notifications of one file; a change seen between waits is not lost (dirty). */
class ChangeWatch {
  private watcher: fs.FSWatcher | null = null;
  private dirty = false;
  private waker: (() => void) | null = null;

  constructor(file: string) {
    try {
      this.watcher = fs.watch(file, { persistent: false }, () => {
        this.dirty = true;
        const w = this.waker;
        this.waker = null;
        w?.();
      });
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = null; // not there yet, or no inotify: the poll does it
    }
  }

  clear(): void {
    this.dirty = false;
  }

  next(): Promise<void> {
    if (this.dirty || !this.watcher) return this.watcher ? Promise.resolve() : new Promise(() => {});
    return new Promise((resolve) => (this.waker = resolve));
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    this.waker?.();
    this.waker = null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
