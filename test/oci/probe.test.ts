// The same probe inside containers started by containerd and by podman: capabilities, seccomp,
// masked and read-only paths, the devices cgroup. A privileged container is the control: there
// the probe must see the difference, or it proves nothing.

import { Ctr } from './harness/containerd.js';
import { ctrLeftovers, podmanLeftovers } from './harness/checks.js';
import { Podman } from './harness/podman.js';
import { DEFAULT_CAPS, isMasked, parseProbe, PROBE_SCRIPT, type ProbeFacts } from './harness/probe.js';
import { containerId, forEachRuntime } from './harness/scenario.js';
import type { ExecutionContext } from 'ava';

const MASKED = ['/proc/keys', '/proc/timer_list'];

function assertConfined(t: ExecutionContext, f: ProbeFacts, seccomp: string): void {
  t.is(f.capBnd, DEFAULT_CAPS, `CapBnd\n${f.raw}`);
  t.is(f.capEff, DEFAULT_CAPS, 'CapEff');
  t.is(f.seccomp, seccomp, 'Seccomp mode');
  for (const m of MASKED) t.true(isMasked(f.masked[m]), `${m} masked (empty or refused): ${f.masked[m]}`);
  t.is(f.procSys, 'error=Read-only file system', '/proc/sys is read-only');
  t.is(f.blockDevice, 'blockdev error=Operation not permitted', 'the devices cgroup refuses opening block device 7:0');
}

forEachRuntime('probe', (scenario, rt, env) => {
  const ctr = new Ctr(env, rt, 'probe');
  const p = new Podman(env, rt, 'probe');

  const ctrProbe = async (what: string, flags: string[]) => {
    const id = containerId(rt, what);
    const rootfs = await ctr.rootfs(id);
    const r = await ctr.ctr(['run', '--rm', ...ctr.runFlags(`probe: ctr run ${flags.join(' ')}`.trim()), ...flags, '--rootfs', rootfs, id, '/bin/sh', '-c', PROBE_SCRIPT]);
    if (r.code !== 0) throw new Error(`ctr run exited ${r.code}: ${r.stderr}`);
    return parseProbe(r.stdout);
  };

  scenario('podman run (its seccomp profile, 14 caps, masked and read-only paths, devices cgroup)', async (t) => {
    const name = containerId(rt, 'probe');
    const r = await p.podman(['run', '--rm', ...p.runFlags('probe: podman run', name), env.podman.image, '/bin/sh', '-c', PROBE_SCRIPT]);
    t.is(r.code, 0, r.stderr);
    assertConfined(t, parseProbe(r.stdout), '2');
  });

  scenario('ctr run (no seccomp by default, 14 caps, masked and read-only paths, devices cgroup)', async (t) => {
    assertConfined(t, await ctrProbe('probe', []), '0');
  });

  scenario('ctr run --seccomp: the default profile is loaded (Seccomp: 2)', async (t) => {
    assertConfined(t, await ctrProbe('probe-seccomp', ['--seccomp']), '2');
  });

  scenario('control: ctr run --privileged shows what the probe looks for', async (t) => {
    const f = await ctrProbe('probe-privileged', ['--privileged']);
    t.not(f.capBnd, DEFAULT_CAPS, `all capabilities\n${f.raw}`);
    t.regex(f.masked['/proc/timer_list'] ?? '', /^bytes=[1-9]/, '/proc/timer_list readable when not masked');
    t.is(f.procSys, 'writable', '/proc/sys writable when not read-only (the write is per UTS namespace)');
    t.not(f.blockDevice, 'blockdev error=Operation not permitted', 'no devices cgroup refusal');
  });

  scenario('leaves nothing behind (both callers)', async (t) => {
    t.deepEqual(ctrLeftovers(ctr), [], 'containerd');
    t.deepEqual(await podmanLeftovers(p), [], 'podman');
  });
});
