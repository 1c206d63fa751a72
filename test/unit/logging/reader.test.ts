// tailStart (src/logging/reader.ts): the readers behind `engine logs -n` and `-f`.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tailStart } from '../../../src/logging/reader.js';
import { tempDir } from '../../support/log-writer.js';

let dir: string;
test.before(() => {
  dir = tempDir('reader');
});
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, content);
  return f;
}

async function tail(f: string, n: number): Promise<string> {
  return fs.readFileSync(f).subarray(await tailStart(f, n)).toString();
}

test('tail of a small file with a final newline', async (t) => {
  const f = file('a.log', 'one\ntwo\nthree\n');
  t.is(await tail(f, 1), 'three\n');
  t.is(await tail(f, 2), 'two\nthree\n');
  t.is(await tail(f, 3), 'one\ntwo\nthree\n');
  t.is(await tail(f, 10), 'one\ntwo\nthree\n');
  t.is(await tail(f, 0), '');
});

test('a last line without a newline counts as a line', async (t) => {
  const f = file('b.log', 'one\ntwo\npartial');
  t.is(await tail(f, 1), 'partial');
  t.is(await tail(f, 2), 'two\npartial');
});

test('empty lines and an empty file', async (t) => {
  t.is(await tailStart(file('e.log', ''), 5), 0);
  const f = file('c.log', 'a\n\n\nb\n');
  t.is(await tail(f, 2), '\nb\n');
  t.is(await tail(f, 3), '\n\nb\n');
});

test('tail across 64 KiB chunk boundaries of a big file reads only the end', async (t) => {
  const lines = Array.from({ length: 200000 }, (_, i) => `line ${i} ${'y'.repeat(i % 37)}`);
  const f = file('big.log', lines.join('\n') + '\n');
  for (const n of [1, 2, 1000, 5000, 123457]) {
    t.is(await tail(f, n), lines.slice(-n).join('\n') + '\n', `n=${n}`);
  }
  t.is(await tailStart(f, 300000), 0);
});

test('tailStart rejects bad counts and missing files', async (t) => {
  const f = file('d.log', 'x\n');
  await t.throwsAsync(tailStart(f, -1), { instanceOf: RangeError });
  await t.throwsAsync(tailStart(f, 1.5), { instanceOf: RangeError });
  await t.throwsAsync(tailStart(path.join(dir, 'missing.log'), 1), { code: 'ENOENT' });
});

test('tailStart with an explicit size scans as if the file ended there', async (t) => {
  const f = file('g.log', 'a\nb\nc\nd\n');
  t.is(await tailStart(f, 1, 4), 2); // "a\nb\n" -> "b\n" starts at 2
});

test('tailStart: the last N lines, with or without a final newline, across chunk edges', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-tail-'));
  const file = path.join(dir, 'log');
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(i % 97)}`);
  for (const ending of ['\n', '']) {
    const text = lines.join('\n') + ending;
    fs.writeFileSync(file, text);
    for (const n of [0, 1, 2, 10, 1234, 4999, 5000, 9999]) {
      const off = await tailStart(file, n);
      const expected = n === 0 ? '' : lines.slice(-n).join('\n') + ending;
      t.is(text.slice(off), expected, `n=${n} ending=${JSON.stringify(ending)}`);
    }
  }
  fs.writeFileSync(file, '');
  t.is(await tailStart(file, 3), 0);
  fs.rmSync(dir, { recursive: true });
});
