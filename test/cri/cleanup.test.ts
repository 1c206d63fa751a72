// The lane's own safety net, tested: when containerd dies with a pod running (no orderly stop is
// possible), the leftover check must see what is left on the host (processes, mounts, shim socket, pod
// cgroup, runtime state, libcni's result cache), and the forced destroy that runs
// after any failed lane must remove all of it. Without this, "nothing left behind" could pass vacuously.

import test from 'ava';
import fs from 'node:fs';
import { laneTest } from './harness/ava-lane.js';
import { cgroupDirs, cniCacheFiles, mountsUnder, processesMentioning, processId, shimSocketPath, stillRunning } from './harness/host.js';
import { CriLane } from './harness/lane.js';
import { Pod } from './harness/pods.js';
import { CRI_NAMESPACE } from './harness/setup.js';

laneTest(test, 'containerd killed with a pod running: the leftover check sees the pod, destroy removes it all', async (t) => {
  const lane = await CriLane.start('cleanup');
  try {
    const pod = await Pod.run(lane, { name: 'abandoned', handler: 'runc' });
    await pod.startContainer({ name: 'app', command: ['/probe', 'hold'] });
    const pause = processId(await pod.pausePid(), 'pause')!;
    const socket = shimSocketPath(lane.paths.grpcSocket, CRI_NAMESPACE, pod.id);
    const cgroupParent = `/kubepods/besteffort/pod${pod.uid}`;
    t.true(fs.existsSync(socket), `the shim socket is not where the lane looks: ${socket}`);

    await lane.killContainerd();
    const found = (await lane.stop({ settleMs: 0 })).concat(lane.leftovers()).join('\n');
    t.regex(found, /process \d+ still running: .*containerd-shim-runc-v2/);
    t.regex(found, /pause of pod abandoned \(pid \d+\) still running/);
    t.regex(found, /container app \(pid \d+\) still running/);
    t.regex(found, /mount left at .*\/rootfs/);
    t.regex(found, new RegExp(`shim socket left: ${socket}`));
    t.regex(found, new RegExp(`pod cgroup left: .*pod${pod.uid}`));
    t.regex(found, /runc still has state for container/);
    t.regex(found, new RegExp(`CNI result cache left: .*-${pod.id}-eth0`));

    const dir = lane.dir;
    await lane.destroy();
    t.false(stillRunning(pause), 'pause survived destroy');
    t.deepEqual(processesMentioning(dir), []);
    t.deepEqual(mountsUnder(dir), []);
    t.false(fs.existsSync(socket), 'shim socket survived destroy');
    t.deepEqual(cgroupDirs(cgroupParent), []);
    t.deepEqual(cniCacheFiles(pod.id), []);
    t.false(fs.existsSync(dir));
  } finally {
    await lane.destroy();
  }
});
