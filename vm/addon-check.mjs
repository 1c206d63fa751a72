// vm/addon-check.mjs: the native addon and src/memory/module-device.ts against the real module,
// run by Node inside the QEMU guest (hostroot mode) after monitor.ko is loaded there.
// Prints PASS/FAIL lines like the probe, exits 1 on any failure.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { ModuleDevice, moduleDevicePresent } = await import(pathToFileURL(path.join(root, 'dist/src/memory/module-device.js')).href);

let failed = 0;
const ok = (name, cond, why) => {
  if (cond) console.log(`PASS addon_${name}`);
  else { failed++; console.log(`FAIL addon_${name}: ${why}`); }
};
const code = (fn) => { try { fn(); return 'ok'; } catch (e) { return e.code ?? String(e); } };
const deadline = async (what, ms, fn) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) return null;
    await new Promise((r) => setTimeout(r, 10)); // a poll step bounded by the deadline, not a fixed wait
  }
};

ok('device_present', moduleDevicePresent(), '/dev/container_monitor missing');
const dev = ModuleDevice.open();
ok('open', Number.isInteger(dev.fd) && dev.fd > 2, `fd ${dev.fd}`);
ok('read_empty', dev.readEvents().length === 0, 'events on a fresh device');

const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
await once(sleeper, 'spawn');
ok('einval_soft_above_hard', code(() => dev.register(sleeper.pid, 2, 1, 'x')) === 'EINVAL', 'no EINVAL');
ok('einval_long_id', code(() => dev.register(sleeper.pid, 1, 2, 'x'.repeat(64))) === 'EINVAL', 'no EINVAL');
ok('esrch', code(() => dev.register(2 ** 22 + 1, 1, 2, 'x')) === 'ESRCH', 'no ESRCH');
ok('register', code(() => dev.register(sleeper.pid, 4096, 1n << 30n, 'addon-soft')) === 'ok', 'register failed');
ok('eexist', code(() => dev.register(sleeper.pid, 4096, 1 << 30, 'addon-soft')) === 'EEXIST', 'no EEXIST');

const events = [];
const stop = dev.watch((ev) => events.push(ev), { intervalMs: 10 });
const soft = await deadline('soft', 10000, () => events.find((e) => e.kind === 'soft' && e.containerId === 'addon-soft'));
ok('soft_event', soft && soft.pid === sleeper.pid && soft.limitBytes === 4096 && soft.rssBytes > 4096 &&
   typeof soft.timeNs === 'bigint' && typeof soft.monoNs === 'bigint' && Math.abs(soft.timeMs - Date.now()) < 60000 &&
   soft.dropped === 0, JSON.stringify(soft, (k, v) => (typeof v === 'bigint' ? String(v) : v)));
if (soft) console.log(`info: event ${JSON.stringify(soft, (k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
ok('unregister', dev.unregister(sleeper.pid) === true, 'unregister returned false');
ok('unregister_unknown', dev.unregister(sleeper.pid) === false, 'second unregister did not return false');

const victim = spawn('sleep', ['60'], { stdio: 'ignore' });
await once(victim, 'spawn');
const exited = once(victim, 'exit');
const t0 = process.hrtime.bigint();
dev.register(victim.pid, 4096, 8192, 'addon-hard');
const [exitCode, signal] = await Promise.race([exited, new Promise((r) => setTimeout(() => r([null, 'timeout']), 10000))]);
ok('hard_kill', signal === 'SIGKILL', `exit ${exitCode} signal ${signal}`);
const hard = await deadline('hard', 5000, () => events.find((e) => e.kind === 'hard' && e.containerId === 'addon-hard'));
ok('hard_event', hard && hard.pid === victim.pid && hard.limitBytes === 8192 && hard.monoNs >= t0, JSON.stringify(hard ?? null, (k, v) => (typeof v === 'bigint' ? String(v) : v)));

const short = spawn('true', { stdio: 'ignore' });
await once(short, 'spawn');
const r = code(() => dev.register(short.pid, 1 << 20, 1 << 30, 'addon-gone'));
if (r === 'ok') {
  const gone = await deadline('gone', 10000, () => events.find((e) => e.kind === 'gone' && e.containerId === 'addon-gone'));
  ok('gone_event', gone && gone.rssBytes === 0, 'no gone event');
} else {
  ok('gone_event', r === 'ESRCH', `register of a short-lived task: ${r}`); // it may already have exited
}
const st = dev.stats();
ok('stats', st.entries === 0 && st.hardKills >= 1 && st.softEvents >= 2 && st.intervalMs > 0, JSON.stringify(st));
stop();
dev.close();
dev.close();
ok('closed', code(() => dev.readEvents()) === 'EBADF', 'use after close did not throw EBADF');
sleeper.kill('SIGKILL');
console.log(`ADDON-SUMMARY failed=${failed}`);
process.exit(failed ? 1 : 0);
