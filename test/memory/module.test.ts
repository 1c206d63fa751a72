// The kernel module enforcer (monitor.ko) with real processes: runs where /dev/container_monitor
// exists (the QEMU guest of `make vm-test`); skipped elsewhere. Same contract as the cgroup tests,
// except that the module watches one process's RSS every interval_ms, so it kills ABOVE the limit.

import anyTest, { type TestFn } from 'ava';
import { chooseEnforcer } from '../../src/memory/choose.js';
import { ModuleDevice, moduleDevicePresent } from '../../src/memory/module-device.js';
import type { ModuleEnforcer } from '../../src/memory/module-enforcer.js';
import type { MemoryEvent } from '../../src/memory/types.js';
import { when } from '../support/skip.js';
import { gatedHog, memorySkipReason, MIB, sleep } from './helpers.js';

const test = anyTest as TestFn<{ e: ModuleEnforcer }>;
let skip = memorySkipReason() ?? (moduleDevicePresent() ? null : 'monitor.ko is not loaded (/dev/container_monitor absent)');
let shared: ModuleEnforcer | null = null;
if (!skip) {
  try {
    shared = (await chooseEnforcer('module')) as ModuleEnforcer;
  } catch (err) {
    skip = (err as Error).message;
  }
}

test.before((t) => {
  if (!shared) return;
  t.context.e = shared;
  t.log(`enforcer ${shared.kind}: ${shared.reason}`);
});
test.after.always(async (t) => {
  await t.context.e?.close();
});
// serial: the device has one event queue, and only one reader may drain it at a time
const maybe = when(test, skip).serial;

function entries(): number {
  const d = ModuleDevice.open();
  try {
    return d.stats().entries;
  } finally {
    d.close();
  }
}

maybe('auto picks the module when the device exists', async (t) => {
  const e = await chooseEnforcer('auto');
  t.is(e.kind, 'module');
  t.regex(e.reason, /container_monitor present/);
  await e.close();
});

maybe('over the hard limit: SIGKILL by the module, attributed to it, one soft then one hard event', async (t) => {
  const e = t.context.e;
  const hog = gatedHog(['4', '20']);
  const events: MemoryEvent[] = [];
  const att = await e.attach('mod-hard', hog.pid, { softBytes: 8 * MIB, hardBytes: 32 * MIB }, (ev) => events.push(ev));
  hog.go();
  const end = await hog.exited;
  t.is(end.signal, 'SIGKILL');
  t.is(await att.exitAttribution(), 'hard');
  t.deepEqual(events.map((ev) => ev.kind), ['soft', 'hard']);
  t.is(events[1].limitBytes, 32 * MIB);
  t.true((events[1].usageBytes ?? 0) > 32 * MIB, `the module kills above the limit (rss ${events[1].usageBytes})`);
  t.log(`killed at rss ${((events[1].usageBytes ?? 0) / MIB).toFixed(1)} MiB for a 32 MiB limit`);
  await att.release();
  await att.release();
});

maybe('over the soft limit only: exactly one soft event and it keeps running; a kill by someone else is not the module\'s', async (t) => {
  const e = t.context.e;
  const hog = gatedHog(['--max', '24', '--hold', '4', '20']);
  const events: MemoryEvent[] = [];
  const att = await e.attach('mod-soft', hog.pid, { softBytes: 10 * MIB, hardBytes: 64 * MIB }, (ev) => events.push(ev));
  hog.go();
  await hog.waitLine(/reached max/, 60_000);
  for (let i = 0; i < 100 && events.length === 0; i++) await sleep(50);
  await sleep(500);
  t.deepEqual(events.map((ev) => ev.kind), ['soft']);
  t.true((events[0].usageBytes ?? 0) > 10 * MIB);
  t.is(hog.child.exitCode, null, 'still running');
  hog.kill();
  await hog.exited;
  t.is(await att.exitAttribution(), null);
  await att.release();
});

maybe('far under both limits: untouched, no events; release unregisters', async (t) => {
  const e = t.context.e;
  const before = entries();
  const hog = gatedHog(['--max', '4', '--hold', '1', '10']);
  const events: MemoryEvent[] = [];
  const att = await e.attach('mod-under', hog.pid, { softBytes: 32 * MIB, hardBytes: 64 * MIB }, (ev) => events.push(ev));
  t.is(entries(), before + 1, 'registered at attach()');
  hog.go();
  await hog.waitLine(/reached max/, 60_000);
  await sleep(500);
  t.deepEqual(events, []);
  t.is(hog.child.exitCode, null);
  await att.release();
  t.is(entries(), before, 'unregistered at release()');
  hog.kill();
  await hog.exited;
  t.is(await att.exitAttribution(), null);
});
