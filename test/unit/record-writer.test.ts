// The daemon's record writer thread (src/supervisor/record-writer.ts): whole files, atomically,
// their directories made; a failure comes back as the errno code; many writes in flight at once.

import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ThreadWriter } from '../../src/supervisor/record-writer.js';

test('writes whole files from its own thread; errors come back with their code', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-record-writer-'));
  const failures: Error[] = [];
  const w = await ThreadWriter.start((err) => failures.push(err));
  try {
    const files = Array.from({ length: 200 }, (_, i) => path.join(dir, `c${i % 20}`, 'record.json'));
    await Promise.all(files.map((f, i) => w.write(f, JSON.stringify({ i }))));
    for (let i = 180; i < 200; i++) t.deepEqual(JSON.parse(fs.readFileSync(files[i], 'utf8')), { i }, 'the last write of each file is what it holds');
    t.deepEqual(fs.readdirSync(path.join(dir, 'c0')), ['record.json'], 'no temporary file is left');
    fs.writeFileSync(path.join(dir, 'plain-file'), '');
    await t.throwsAsync(w.write(path.join(dir, 'plain-file', 'record.json'), '{}'), { message: /^(EEXIST|ENOTDIR)$/ });
    t.deepEqual(failures, [], 'the thread itself never failed');
  } finally {
    await w.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
