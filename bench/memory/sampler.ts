// Worker thread of the memory bench: samples one process as fast as it can (tens of µs apart) until
// it dies, and reports when its memory first reached the limit, when it died, and the most it had.
//   source 'rss'    /proc/<pid>/statm resident pages (what the module and the poller watch)
//   source 'cgroup' the cgroup's usage file (memory.usage_in_bytes / memory.current)
// Death = the first read where the process's mm is gone (statm all zeros) AND it is a zombie (or
// gone): the moment it is dead, as its parent sees it. Times are performance.now() of this worker, ms.

import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

export interface SamplerInput {
  pid: number;
  source: 'rss' | 'cgroup';
  usageFile?: string;
  /** bytes: the first sample at or above it is "crossed" */
  threshold: number;
  /** pause between samples (0 = back to back; the 1-CPU QEMU guest needs a pause to stay fair) */
  gapMs: number;
  timeoutMs: number;
}

export interface SamplerOutput {
  crossedAtMs: number | null;
  diedAtMs: number | null;
  startedAtMs: number;
  maxBytes: number;
  maxRssBytes: number;
  samples: number;
  /** mean interval between samples, µs */
  meanGapUs: number;
  /** reads that found no mm while the task was not yet a zombie (it was exiting) */
  glitches: number;
}

const PAGE = 4096;
const input = workerData as SamplerInput;
const statm = `/proc/${input.pid}/statm`;
const buf = Buffer.alloc(256);

function readRss(): number | null {
  let fd: number;
  try {
    fd = fs.openSync(statm, 'r');
  } catch {
    return null;
  }
  try {
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const text = buf.toString('latin1', 0, n);
    const sp = text.indexOf(' ');
    const size = Number(text.slice(0, sp));
    const resident = Number(text.slice(sp + 1, text.indexOf(' ', sp + 1)));
    if (size === 0) return null; // mm released: dead (zombie)
    return resident * PAGE;
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/** The task exists and is not a zombie. */
function alive(): boolean {
  try {
    const st = fs.readFileSync(`/proc/${input.pid}/stat`, 'latin1');
    const state = st[st.lastIndexOf(')') + 2];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

let ufd = -1;
function readUsage(): number {
  if (ufd < 0) ufd = fs.openSync(input.usageFile!, 'r');
  const n = fs.readSync(ufd, buf, 0, buf.length, 0);
  return Number(buf.toString('latin1', 0, n).trim());
}

const out: SamplerOutput = { crossedAtMs: null, diedAtMs: null, startedAtMs: performance.now(), maxBytes: 0, maxRssBytes: 0, samples: 0, meanGapUs: 0, glitches: 0 };
const deadline = out.startedAtMs + input.timeoutMs;
const nap = new Int32Array(new SharedArrayBuffer(4));
parentPort!.postMessage({ ready: true });
for (;;) {
  const rss = readRss();
  const now = performance.now();
  if (rss === null) {
    if (alive()) {
      out.glitches++; // no mm while the task is not yet a zombie: exiting (or exec): not dead yet
      continue;
    }
    out.diedAtMs = now;
    break;
  }
  const v = input.source === 'cgroup' ? readUsage() : rss;
  out.samples++;
  if (rss > out.maxRssBytes) out.maxRssBytes = rss;
  if (v > out.maxBytes) out.maxBytes = v;
  if (out.crossedAtMs === null && v >= input.threshold) out.crossedAtMs = now;
  if (now > deadline) break;
  if (input.gapMs > 0) Atomics.wait(nap, 0, 0, input.gapMs);
}
out.meanGapUs = out.samples > 1 ? (((out.diedAtMs ?? performance.now()) - out.startedAtMs) * 1000) / out.samples : 0;
if (ufd >= 0) fs.closeSync(ufd);
parentPort!.postMessage({ result: out });
