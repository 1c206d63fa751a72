// The daemon's FileWriter (records.ts): one thread does the records' writes (workers/record-writer.ts).
// Measured with 256 containers starting and logging at once (bench:loop), the synchronous writes
// were about a fifth of the main thread's time; on libuv's pool instead, each write is five
// queued jobs beside the containers' clones. Should the thread fail, writes go on from libuv's
// pool: a record is never dropped for it.

import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { REPO_ROOT } from '../paths.js';
import { promiseWriter, type FileWriter } from './records.js';

export interface RecordWrite {
  seq: number;
  file: string;
  text: string;
}

export interface RecordWritten {
  seq: number;
  /** the errno code (or message) of the failed step, or null */
  error: string | null;
}

const WORKER = path.join(REPO_ROOT, 'dist/workers/record-writer.js');

export class ThreadWriter implements FileWriter {
  private readonly worker: Worker;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void; file: string; text: string }>();
  private failed = false;

  private constructor(onFailure: (err: Error) => void) {
    this.worker = new Worker(WORKER);
    this.worker.unref(); // it never keeps the supervisor alive: written() is what waits
    this.worker.on('message', ({ seq, error }: RecordWritten) => {
      const w = this.waiting.get(seq);
      this.waiting.delete(seq);
      if (error === null) w?.resolve();
      else w?.reject(new Error(error));
    });
    this.worker.on('error', (err) => {
      this.failed = true;
      onFailure(err);
      // What it had not answered is written again from libuv's pool.
      for (const w of this.waiting.values()) promiseWriter.write(w.file, w.text).then(w.resolve, w.reject);
      this.waiting.clear();
    });
  }

  /** Starts the thread; resolves once it runs. */
  static async start(onFailure: (err: Error) => void): Promise<ThreadWriter> {
    const w = new ThreadWriter(onFailure);
    await new Promise<void>((resolve, reject) => {
      w.worker.once('online', resolve);
      w.worker.once('error', reject);
    });
    return w;
  }

  write(file: string, text: string): Promise<void> {
    if (this.failed) return promiseWriter.write(file, text);
    return new Promise((resolve, reject) => {
      const seq = ++this.seq;
      this.waiting.set(seq, { resolve, reject, file, text });
      this.worker.postMessage({ seq, file, text } satisfies RecordWrite);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
