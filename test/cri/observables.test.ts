// The same pod under each runtime handler, looked at from inside: capabilities, seccomp, no_new_privs,
// cgroup paths, namespaces shared with the pause container, masked and read-only paths. runc is the
// reference: its values are checked against what containerd asked for, and engine's must equal them.

import fs from 'node:fs';
import test from 'ava';
import { forEachHandler, nothingLeftBehind, useLane } from './harness/ava-lane.js';
import { observe, type Observables } from './harness/observe.js';
import { Pod } from './harness/pods.js';
import { HANDLERS } from './harness/setup.js';

const ref = useLane(test, 'observables');
const seen = new Map<string, Observables>();

/** containerd's default capability set (14): chown dac_override fowner fsetid kill setgid setuid setpcap
 * net_bind_service net_raw sys_chroot mknod audit_write setfcap. */
const CONTAINERD_DEFAULT_CAPS = '00000000a80425fb';
/** On a cgroup v2 host (the QEMU guest's lane) containerd gives every container a cgroup namespace of its
 * own, rooted at its cgroup: inside, /proc/1/cgroup reads `0::/`. On v1 it shares the host's. */
const CGROUP_V2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
const POD_CGROUP = /^\d+:[^:]*:\/kubepods\/besteffort\/pod<uid>\/<id>$/;

forEachHandler(test, 'observables of a pod-network pod, from inside its app container', async (t, h) => {
  const pod = await Pod.run(ref.lane, { name: `${h.name}-observed`, handler: h.name });
  try {
    const id = await pod.startContainer({ name: 'app', command: ['/probe', 'hold'] });
    await pod.waitForLog('app', /^ready$/);
    const o = await observe(ref.lane.client, id, pod.uid, await pod.pausePid());
    seen.set(h.name, o);
    t.log(JSON.stringify(o));
    // What containerd's CRI plugin asked of the runtime, as runc applies it.
    for (const s of [o.init, o.exec]) {
      t.like(s, { CapBnd: CONTAINERD_DEFAULT_CAPS, CapEff: CONTAINERD_DEFAULT_CAPS, CapPrm: CONTAINERD_DEFAULT_CAPS });
      t.is(s.Seccomp, '2', 'RuntimeDefault seccomp is a filter');
      t.is(s.NoNewPrivs, '0', 'kubelet did not ask for no_new_privs');
    }
    t.true(o.cgroup.length > 0);
    if (CGROUP_V2) t.deepEqual(o.cgroup, ['0::/']);
    else for (const line of o.cgroup) t.regex(line, POD_CGROUP);
    t.deepEqual(o.namespaces, { cgroup: CGROUP_V2 ? 'own' : 'host', ipc: 'pause', mnt: 'own', net: 'pause', pid: 'own', uts: 'pause' });
    t.deepEqual(o.maskedSizes, { timerList: '0', keys: '0' });
    t.regex(o.procSysOptions, /^ro(,|$)/);
    t.is(o.pause.status.Seccomp, '2');
    t.true(o.pause.cgroup.length > 0);
    for (const line of o.pause.cgroup) t.regex(line, POD_CGROUP);
  } finally {
    await pod.remove();
  }
});

const engineSkip = HANDLERS.find((h) => h.name === 'engine')!.skip;
(engineSkip ? test.serial.skip : test.serial)(
  `engine and runc give the same observables${engineSkip ? ` (skipped: ${engineSkip})` : ''}`,
  (t) => {
    t.truthy(seen.get('runc') && seen.get('engine'), 'a handler did not get as far as observing');
    t.deepEqual(seen.get('engine'), seen.get('runc'));
  },
);

nothingLeftBehind(test, ref);
