// Memory through CRI, for each runtime handler: a container's resources.memory limit is enforced
// (memory_hog past it ends OOMKilled, 137), and engine's memory annotations on a pod reach the
// runtime's config.json through containerd's pod_annotations/container_annotations filter.

import test from 'ava';
import { forEachHandler, nothingLeftBehind, useLane } from './harness/ava-lane.js';
import { Pod, waitForExit } from './harness/pods.js';

const ref = useLane(test, 'memory');
const MiB = 1024 * 1024;

forEachHandler(test, 'resources.memory: memory_hog past its limit ends with reason OOMKilled, exit 137', async (t, h) => {
  const pod = await Pod.run(ref.lane, { name: `${h.name}-oom`, handler: h.name, qos: 'burstable' });
  try {
    const limit = 32 * MiB;
    // The runc shim starts watching the cgroup for OOM only once the runtime's `start` has returned: a
    // hog that crossed the limit in its first milliseconds would be killed unseen (reason Error). So
    // it starts allocating only when told, after StartContainer.
    const command = ['/bin/sh', '-c', 'until [ -e /tmp/go ]; do sleep 0.05; done; exec /memory_hog --fast 4'];
    const id = await pod.startContainer({ name: 'hog', command, memoryLimitBytes: limit });
    t.is((ref.lane.bundleConfig(id).linux as { resources: { memory: { limit: number } } }).resources.memory.limit, limit);
    t.is((await ref.lane.client.execSync(id, ['touch', '/tmp/go'])).exitCode, 0);
    // containerd sets the reason when the shim's OOM event arrives, which may be just after the exit.
    const s = await waitForExit(ref.lane, id, { reason: 'OOMKilled' });
    t.is(s.exitCode, 137);
    const lines = await pod.waitForLog('hog', /^allocation=\d+ /);
    const totals = lines.map((l) => Number(l.content.match(/ total=(\d+)MB$/)?.[1] ?? 0));
    t.true(Math.max(...totals) < 32, `memory_hog reported ${Math.max(...totals)} MB under a 32 MiB limit`);
  } finally {
    await pod.remove();
  }
});

forEachHandler(test, 'engine.memory.hard-mib and soft-mib pod annotations reach config.json; other prefixes do not', async (t, h) => {
  const podAnnotations = { 'engine.memory.hard-mib': '48', 'engine.memory.soft-mib': '32', 'example.com/not-for-the-runtime': 'x' };
  const pod = await Pod.run(ref.lane, { name: `${h.name}-annotated`, handler: h.name, annotations: podAnnotations });
  try {
    const id = await pod.startContainer({
      name: 'app',
      command: ['/probe', 'hold'],
      annotations: { 'engine.container-note': 'c', 'example.com/other': 'y' },
    });
    for (const [what, cid] of [['sandbox', pod.id], ['container', id]] as const) {
      const a = ref.lane.bundleConfig(cid).annotations ?? {};
      t.is(a['engine.memory.hard-mib'], '48', `${what} config.json`);
      t.is(a['engine.memory.soft-mib'], '32', `${what} config.json`);
      t.false('example.com/not-for-the-runtime' in a, `${what} config.json`);
      t.false('example.com/other' in a, `${what} config.json`);
    }
    const a = ref.lane.bundleConfig(id).annotations ?? {};
    t.is(a['engine.container-note'], 'c', 'container annotations are let through too');
    t.is(a['io.kubernetes.cri.container-type'], 'container');
    t.is(a['io.kubernetes.cri.sandbox-id'], pod.id);
    t.is(ref.lane.bundleConfig(pod.id).annotations?.['io.kubernetes.cri.container-type'], 'sandbox');
    // CRI itself keeps every annotation as given.
    t.like((await ref.lane.client.podSandboxStatus(pod.id)).status!.annotations, podAnnotations);
  } finally {
    await pod.remove();
  }
});

nothingLeftBehind(test, ref);
