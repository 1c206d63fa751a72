// The supervisor's record writer (src/supervisor/record-writer.ts): writes each file it is sent
// atomically (a temporary file, then rename) and answers with the outcome. A thread of its own, so
// neither the event loop nor libuv's thread pool (which also runs the containers' clones) waits
// for the file system.

import fs from 'node:fs';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import type { RecordWrite, RecordWritten } from '../src/supervisor/record-writer.js';

parentPort!.on('message', ({ seq, file, text }: RecordWrite) => {
  let error: string | null = null;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  } catch (err) {
    error = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
  parentPort!.postMessage({ seq, error } satisfies RecordWritten);
});
