// podman passes user, read-only root, capabilities, pids and memory limits; the runtime applies them.

import { Podman } from './harness/podman.js';
import { podmanLeftovers } from './harness/checks.js';
import { containerId, forEachRuntime } from './harness/scenario.js';

forEachRuntime('podman-limits', (scenario, rt, env) => {
  const p = new Podman(env, rt, 'podman-limits');
  const image = env.podman.image;
  const runRm = (what: string, flags: string[], cmd: string[]) => {
    const name = containerId(rt, what);
    return p.podman(['run', '--rm', ...p.runFlags(`podman run ${flags.join(' ')}`, name), ...flags, image, ...cmd]);
  };

  scenario('--user 1000:1000 runs the process as 1000:1000', async (t) => {
    const r = await runRm('user', ['--user', '1000:1000'], ['/probe', 'id']);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, 'uid=1000 gid=1000\n');
  });

  scenario('--read-only: the root is read-only, /tmp still writable', async (t) => {
    const r = await runRm('readonly', ['--read-only'], ['/bin/sh', '-c', 'touch /oci-lane 2>&1; echo root=$?; touch /tmp/x && echo tmp=$?']);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /Read-only file system/);
    t.regex(r.stdout, /^root=1$/m);
    t.regex(r.stdout, /^tmp=0$/m);
  });

  scenario('--cap-drop all: no capability left, and it shows', async (t) => {
    const r = await runRm('capdrop', ['--cap-drop', 'all'], ['/bin/sh', '-c', 'grep -E "^Cap(Bnd|Eff|Prm):" /proc/self/status; mknod /tmp/n c 1 3 2>&1; echo mknod=$?']);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /^CapBnd:\s+0000000000000000$/m);
    t.regex(r.stdout, /^CapEff:\s+0000000000000000$/m);
    t.regex(r.stdout, /^CapPrm:\s+0000000000000000$/m);
    t.regex(r.stdout, /Operation not permitted/);
    t.regex(r.stdout, /^mknod=1$/m);
  });

  scenario('--pids-limit 10 holds against a bounded fork loop', async (t) => {
    // Up to 30 background sleeps, counting each fork that worked; busybox sh stops at the first
    // refused fork ("can't fork"). The shell itself is one of the 10.
    const r = await runRm('pids', ['--pids-limit', '10'],
      ['/bin/sh', '-c', 'cat /sys/fs/cgroup/pids/pids.max; i=0; while [ $i -lt 30 ]; do sleep 60 & i=$((i+1)); echo forked=$i; done']);
    const forks = [...r.stdout.matchAll(/^forked=(\d+)$/gm)].map((m) => Number(m[1]));
    const most = forks.length ? Math.max(...forks) : 0;
    t.log(`forks that worked: ${most}; exit ${r.code}`);
    t.regex(r.stdout, /^10$/m, 'pids.max inside the container');
    t.regex(r.stderr, /can't fork/, r.stderr);
    t.true(most >= 1 && most <= 9, `forks that worked: ${most}`);
    t.is(r.code, 2, 'the shell gave up at the refused fork');
  });

  scenario('--memory 32m: /memory_hog is killed at the limit by the cgroup, 137', async (t) => {
    // podman's own OOMKilled flag stays false on this host (conmon does not see the v1 OOM event,
    // with runc too), so the cgroup's own counter is read from inside before the container ends.
    const r = await runRm('memory', ['--memory', '32m'], ['/bin/sh', '-c',
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; /memory_hog 4 0; s=$?; grep oom_kill /sys/fs/cgroup/memory/memory.oom_control; exit $s']);
    t.is(r.code, 137, r.stderr);
    t.regex(r.stdout, /^33554432$/m, 'memory.limit_in_bytes is 32 MiB');
    const totals = [...r.stdout.matchAll(/total=(\d+)MB/g)].map((m) => Number(m[1]));
    t.true(totals.length > 0, 'it allocated before being killed');
    t.true(Math.max(...totals) < 32, `it never held 32 MiB: ${Math.max(...totals)} MiB`);
    t.regex(r.stdout, /^oom_kill [1-9]\d*$/m, 'the memory cgroup\'s OOM killer did it');
  });

  scenario('leaves nothing behind: the runtime forgets every container, no cgroup, no mount', async (t) => {
    t.deepEqual(await podmanLeftovers(p), []);
  });
});
