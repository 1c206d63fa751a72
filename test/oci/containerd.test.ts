// containerd (through containerd-shim-runc-v2) drives each runtime: `ctr run --runc-binary PATH`.

import fs from 'node:fs';
import path from 'node:path';
import { Ctr } from './harness/containerd.js';
import { cgroupDirs, cgroupsUnder, mountsUnder, processesInCgroup } from './harness/leftovers.js';
import { until } from './harness/process.js';
import { containerId, forEachRuntime } from './harness/scenario.js';
import { TmuxSession } from './harness/tmux.js';

forEachRuntime('containerd', (scenario, rt, env) => {
  const ctr = new Ctr(env, rt, 'containerd');

  /** STATUS of a task in `ctr task ls`, or '' when it is not listed. */
  const taskStatus = async (id: string): Promise<string> => {
    const r = await ctr.ctr(['task', 'ls']);
    const row = r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((cols) => cols[0] === id);
    return row?.[2] ?? '';
  };

  scenario('run --rm: echo prints its output and exits 0', async (t) => {
    const id = containerId(rt, 'echo');
    const rootfs = await ctr.rootfs(id);
    const r = await ctr.ctr(['run', '--rm', ...ctr.runFlags('containerd run --rm echo'), '--rootfs', rootfs, id, '/bin/echo', 'hello', 'from', rt.name]);
    t.is(r.stderr, '');
    t.is(r.stdout, `hello from ${rt.name}\n`);
    t.is(r.code, 0);
    t.log(`ctr run --rm took ${r.ms.toFixed(0)} ms`);
  });

  scenario('run --rm: exit 7 ends ctr with 7', async (t) => {
    const id = containerId(rt, 'exit7');
    const rootfs = await ctr.rootfs(id);
    const r = await ctr.ctr(['run', '--rm', ...ctr.runFlags('containerd run --rm exit 7'), '--rootfs', rootfs, id, '/bin/sh', '-c', 'exit 7']);
    t.is(r.code, 7, r.stderr);
  });

  scenario('run -d, then task exec, ps, pause/resume, kill -a -s 9, delete', async (t) => {
    const id = containerId(rt, 'detached');
    const rootfs = await ctr.rootfs(id);
    const run = await ctr.ctr(['run', '-d', ...ctr.runFlags('containerd run -d lifecycle'), '--rootfs', rootfs, id, '/probe', 'hold']);
    t.is(run.code, 0, run.stderr);
    t.is(await taskStatus(id), 'RUNNING');

    const exec = await ctr.ctr(['task', 'exec', '--exec-id', 'sh1', id, '/bin/sh', '-c', 'echo from-exec $$; exit 4']);
    t.regex(exec.stdout, /^from-exec \d+\n$/, 'the exec ran in the container');
    t.is(exec.code, 4, `an exec's exit code comes back: ${exec.stderr}`);

    const held = await ctr.ctr(['task', 'exec', '--detach', '--exec-id', 'hold1', id, '/probe', 'hold']);
    t.is(held.code, 0, held.stderr);
    const ps = await ctr.ctr(['task', 'ps', id]);
    t.is(ps.code, 0, ps.stderr);
    const rows = ps.stdout.trim().split('\n').slice(1);
    t.is(rows.length, 2, `task ps lists the init and the detached exec:\n${ps.stdout}`);
    t.true(rows.some((r) => r.includes('ExecID:hold1')), ps.stdout);

    const freezer = cgroupDirs(`${ctr.cgroupParent()}/${id}`).find((d) => d.includes('/freezer/'));
    t.truthy(freezer, 'the container has a freezer cgroup');
    const pause = await ctr.ctr(['task', 'pause', id]);
    t.is(pause.code, 0, pause.stderr);
    t.is(await taskStatus(id), 'PAUSED');
    t.is(fs.readFileSync(path.join(freezer!, 'freezer.state'), 'utf8').trim(), 'FROZEN');
    const resume = await ctr.ctr(['task', 'resume', id]);
    t.is(resume.code, 0, resume.stderr);
    t.is(await taskStatus(id), 'RUNNING');
    t.is(fs.readFileSync(path.join(freezer!, 'freezer.state'), 'utf8').trim(), 'THAWED');

    const kill = await ctr.ctr(['task', 'kill', '-a', '-s', '9', id]);
    t.is(kill.code, 0, kill.stderr);
    await until(`task ${id} to be STOPPED`, async () => (await taskStatus(id)) === 'STOPPED', 15_000, 50);
    const del = await ctr.ctr(['task', 'delete', id]);
    t.is(del.code, 0, del.stderr);
    t.regex(del.stderr, /exit code 137/, 'the shim reports SIGKILL as 137');
    t.is(await taskStatus(id), '');
    const rm = await ctr.ctr(['container', 'rm', id]);
    t.is(rm.code, 0, rm.stderr);
    t.false(fs.existsSync(path.join(ctr.stateRoot, id)), 'the runtime state of the container is gone');
  });

  scenario('run -t: the process gets a pty (tty prints /dev/pts/0) and its exit code', async (t) => {
    const id = containerId(rt, 'tty');
    const rootfs = await ctr.rootfs(id);
    const session = await TmuxSession.start(env.tmuxSocket, path.join(env.dir, 'tmux'), id,
      ctr.commandLine(['run', '--rm', '-t', ...ctr.runFlags('containerd run -t'), '--rootfs', rootfs, id, '/bin/sh', '-c', 'tty; echo tty-done; exit 5']));
    try {
      t.is(await session.exitCode(), 5);
      const screen = await session.screen();
      t.regex(screen, /^\/dev\/pts\/0\r?$/m, screen);
      t.regex(screen, /^tty-done/m);
    } finally {
      await session.kill();
    }
  });

  scenario('leaves nothing behind: state root empty, no cgroup, no mount, no process', async (t) => {
    const state = fs.existsSync(ctr.stateRoot) ? fs.readdirSync(ctr.stateRoot) : [];
    t.deepEqual(state, [], `entries left in the runtime's state root ${ctr.stateRoot}`);
    t.deepEqual(cgroupsUnder(ctr.cgroupParent()), [], 'cgroups left');
    t.deepEqual(processesInCgroup(ctr.cgroupParent()), [], 'processes left in the containers\' cgroups');
    t.deepEqual(mountsUnder(ctr.rootfsDir), [], 'mounts left on the rootfs copies');
  });
});
