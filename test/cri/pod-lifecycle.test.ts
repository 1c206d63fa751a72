// A pod's life through containerd's CRI plugin, as kubelet drives it, for each runtime handler:
// sandboxes on the host network and on a pod network, a container started, exec'd into, logged,
// stopped (SIGTERM honoured, and SIGTERM ignored until the timeout), removed, and nothing left.

import test from 'ava';
import fs from 'node:fs';
import { forEachHandler, laneTest, nothingLeftBehind, useLane } from './harness/ava-lane.js';
import { mountsUnder, processId, stillRunning } from './harness/host.js';
import { Pod } from './harness/pods.js';

const ref = useLane(test, 'lifecycle');

/** What earlier tests of a handler made, for the later ones. */
interface HandlerState {
  hostPod?: Pod;
  netPod?: Pod;
  app?: string;
  stubborn?: string;
}
const state = new Map<string, HandlerState>();
const of = (h: string) => state.get(h) ?? state.set(h, {}).get(h)!;

const nsOf = (pid: number | 'self', ns: string) => fs.readlinkSync(`/proc/${pid}/ns/${ns}`);

// The app traps SIGTERM and exits 0; "ready" is printed once the trap is set, so a stop that comes
// after it is seen in the log always finds the trap. The sleep runs in the background so that the
// shell is in `wait`, which a trapped signal interrupts at once.
const TRAPPING_APP = ['/bin/sh', '-c', 'trap "echo got-term; exit 0" TERM; echo to-stdout; echo to-stderr >&2; echo ready; sleep 1000 & wait $!'];

forEachHandler(test, 'RunPodSandbox with host network: READY, pause shares the host network and UTS namespaces', async (t, h) => {
  const pod = await Pod.run(ref.lane, { name: `${h.name}-hostnet`, handler: h.name, hostNetwork: true });
  of(h.name).hostPod = pod;
  const s = (await ref.lane.client.podSandboxStatus(pod.id)).status!;
  t.is(s.state, 'SANDBOX_READY');
  t.is(s.runtimeHandler, h.name);
  t.is(s.linux?.namespaces?.options?.network, 'NODE');
  const pid = await pod.pausePid();
  t.is(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'pause');
  t.is(nsOf(pid, 'net'), nsOf('self', 'net'));
  t.is(nsOf(pid, 'uts'), nsOf('self', 'uts'));
  t.not(nsOf(pid, 'ipc'), nsOf('self', 'ipc'));
  t.not(nsOf(pid, 'pid'), nsOf('self', 'pid'));
});

forEachHandler(test, 'RunPodSandbox with a pod network through the stub CNI: READY, IP 127.0.0.1, own network namespace', async (t, h) => {
  const pod = await Pod.run(ref.lane, { name: `${h.name}-podnet`, handler: h.name });
  of(h.name).netPod = pod;
  const s = (await ref.lane.client.podSandboxStatus(pod.id)).status!;
  t.is(s.state, 'SANDBOX_READY');
  t.is(s.network?.ip, '127.0.0.1');
  const pid = await pod.pausePid();
  t.not(nsOf(pid, 'net'), nsOf('self', 'net'));
  t.not(nsOf(pid, 'uts'), nsOf('self', 'uts'));
  // containerd pinned the pod's network namespace with a bind mount under the lane's state dir.
  t.true(mountsUnder(ref.lane.paths.state).some((m) => m.includes('/netns/')), 'no netns mount under the state dir');
});

forEachHandler(test, 'CreateContainer + StartContainer: RUNNING', async (t, h) => {
  const pod = of(h.name).netPod!;
  const id = await pod.startContainer({ name: 'app', command: TRAPPING_APP });
  of(h.name).app = id;
  const s = (await ref.lane.client.containerStatus(id)).status!;
  t.is(s.state, 'CONTAINER_RUNNING');
  t.true(s.startedAt > 0);
  t.is(s.finishedAt, 0);
  const listed = await ref.lane.client.listContainers({ podSandboxId: pod.id });
  t.deepEqual(listed.map((c) => [c.id, c.state]), [[id, 'CONTAINER_RUNNING']]);
});

forEachHandler(test, 'ExecSync: hostname; stdout and stderr kept apart; `sh -c "exit 3"` gives 3', async (t, h) => {
  const c = ref.lane.client;
  const id = of(h.name).app!;
  t.deepEqual(await c.execSync(id, ['hostname']), { stdout: `${h.name}-podnet\n`, stderr: '', exitCode: 0 });
  t.deepEqual(await c.execSync(id, ['sh', '-c', 'echo to-out; echo to-err >&2']), { stdout: 'to-out\n', stderr: 'to-err\n', exitCode: 0 });
  t.deepEqual(await c.execSync(id, ['sh', '-c', 'exit 3']), { stdout: '', stderr: '', exitCode: 3 });
});

forEachHandler(test, 'the CRI log file holds the container output, one CRI-format line each, streams told apart', async (t, h) => {
  const pod = of(h.name).netPod!;
  const lines = await pod.waitForLog('app', /^ready$/);
  t.is((await ref.lane.client.containerStatus(of(h.name).app!)).status!.logPath, pod.logFile('app'));
  const find = (content: string) => lines.find((l) => l.content === content);
  t.like(find('to-stdout'), { stream: 'stdout', tag: 'F' });
  t.like(find('to-stderr'), { stream: 'stderr', tag: 'F' });
  t.like(find('ready'), { stream: 'stdout', tag: 'F' });
  for (const l of lines) t.false(Number.isNaN(Date.parse(l.time)), `bad time ${l.time}`);
});

forEachHandler(test, 'StopContainer of a container that traps SIGTERM: exit 0 (Completed), before the timeout', async (t, h) => {
  const id = of(h.name).app!;
  await of(h.name).netPod!.waitForLog('app', /^ready$/); // the trap is set
  const started = Date.now();
  await ref.lane.client.stopContainer(id, 10);
  const took = Date.now() - started;
  const s = (await ref.lane.client.containerStatus(id)).status!;
  t.is(s.state, 'CONTAINER_EXITED');
  t.is(s.exitCode, 0);
  t.is(s.reason, 'Completed');
  t.true(took < 10_000, `the stop took ${took} ms: SIGTERM was not acted on`);
  await of(h.name).netPod!.waitForLog('app', /^got-term$/);
});

forEachHandler(test, 'StopContainer of a container that ignores SIGTERM: SIGKILL at the timeout, exit 137', async (t, h) => {
  const pod = of(h.name).hostPod!;
  const id = await pod.startContainer({ name: 'stubborn', command: ['/probe', 'ignore-term'] });
  of(h.name).stubborn = id;
  await pod.waitForLog('stubborn', /^ready$/);
  const timeoutS = 2;
  const started = Date.now();
  await ref.lane.client.stopContainer(id, timeoutS);
  const took = Date.now() - started;
  const s = (await ref.lane.client.containerStatus(id)).status!;
  t.is(s.state, 'CONTAINER_EXITED');
  t.is(s.exitCode, 137);
  t.is(s.reason, 'Error');
  t.true(took >= timeoutS * 1000 - 50, `stopped after ${took} ms, before the ${timeoutS} s timeout`);
  // SIGTERM came first and was seen (and ignored) by the process.
  await pod.waitForLog('stubborn', /^got TERM$/);
});

forEachHandler(test, 'RemoveContainer, StopPodSandbox, RemovePodSandbox: the pod is gone, its processes too', async (t, h) => {
  const c = ref.lane.client;
  const st = of(h.name);
  for (const pod of [st.hostPod!, st.netPod!]) {
    const pause = processId(await pod.pausePid(), 'pause');
    for (const ctr of await c.listContainers({ podSandboxId: pod.id })) await c.removeContainer(ctr.id);
    t.deepEqual(await c.listContainers({ podSandboxId: pod.id }), []);
    await c.stopPodSandbox(pod.id);
    t.is((await c.podSandboxStatus(pod.id)).status!.state, 'SANDBOX_NOTREADY');
    t.false(pause !== null && stillRunning(pause), 'the pause process outlived StopPodSandbox');
    await c.removePodSandbox(pod.id);
    t.deepEqual((await c.listPodSandbox()).filter((p) => p.id === pod.id), []);
  }
});

laneTest(test, 'ListContainers and ListPodSandbox are empty once every pod is removed', async (t) => {
  t.deepEqual(await ref.lane.client.listContainers(), []);
  t.deepEqual(await ref.lane.client.listPodSandbox(), []);
});

nothingLeftBehind(test, ref);
