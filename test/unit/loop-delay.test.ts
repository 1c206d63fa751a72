// The loop-delay figures of `engine info` (src/supervisor/loop-delay.ts): the worst stall is split
// by the kernel's own accounting into time the main thread ran and time it waited for a CPU, so a
// stall caused by synchronous work is told from one caused by a busy machine.

import test from 'ava';
import fs from 'node:fs';
import { LoopDelay } from '../../src/supervisor/loop-delay.js';

const hasSchedstat = fs.existsSync('/proc/thread-self/schedstat');

/** Resolves once the sampler has fired after `block` returned (two periods of it). */
const settle = () => new Promise((r) => setTimeout(r, 30));
const sampled = () => new Promise((r) => setTimeout(r, 15));

(hasSchedstat ? test.serial : test.skip)('a stall of synchronous work: late by about that long, and the thread was on a CPU or waiting for one all along', async (t) => {
  const d = new LoopDelay();
  try {
    await settle();
    d.reset();
    await sampled();
    const t0 = Date.now();
    while (Date.now() - t0 < 300); // the main thread busy for 300 ms
    await settle();
    const s = d.summary();
    const w = s.worstStall!;
    t.truthy(w, 'a stall was recorded');
    t.true(w.lateMs >= 250, `late ${w.lateMs} ms`);
    // Busy the whole time: never asleep, so ran + waited covers the stall.
    t.true(w.cpuMs + w.waitMs >= 0.75 * w.lateMs, JSON.stringify(w));
    t.true(w.blockedMs <= 0.25 * w.lateMs, JSON.stringify(w));
    t.true(s.mainThread!.cpuMs + s.mainThread!.waitMs >= 250, JSON.stringify(s.mainThread));
    t.true(s.maxMs! >= 250, `histogram max ${s.maxMs}`);
  } finally {
    d.stop();
  }
});

(hasSchedstat ? test.serial : test.skip)('a stall spent asleep (a blocking call): late, but neither running nor waiting for a CPU', async (t) => {
  const d = new LoopDelay();
  try {
    await settle();
    d.reset();
    await sampled();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); // blocked for 300 ms
    await settle();
    const w = d.summary().worstStall!;
    t.truthy(w, 'a stall was recorded');
    t.true(w.lateMs >= 250, `late ${w.lateMs} ms`);
    t.true(w.cpuMs + w.waitMs < 0.5 * w.lateMs, JSON.stringify(w));
    t.true(w.blockedMs >= 0.5 * w.lateMs, JSON.stringify(w));
  } finally {
    d.stop();
  }
});

test('reset forgets the worst stall', async (t) => {
  const d = new LoopDelay();
  try {
    await settle();
    const t0 = Date.now();
    while (Date.now() - t0 < 60);
    await settle();
    if (hasSchedstat) t.truthy(d.summary().worstStall);
    d.reset();
    t.is(d.summary().worstStall, null);
    t.is(d.summary().samples, 0);
  } finally {
    d.stop();
  }
});

