// The supervisor's own life: orderly shutdown, death by SIGKILL, one supervisor per socket, and
// no leaks (zombies, descriptors) over many containers.

import test from 'ava';
import fs from 'node:fs';
import { runEngine, Supervisor } from '../support/harness.js';
import { pidAlive, sleep, until } from '../support/process.js';
import { e2eSkipReason, when } from '../support/skip.js';

const e2e = when(test, e2eSkipReason);

function zombieChildren(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' && Number(fields[1]) === pid) out.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return out;
}

const openFds = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).length;

e2e('SIGTERM: stops every container, records them stopped, removes the socket, exits 0 within grace + 3 s', async (t) => {
  const sup = await Supervisor.start({ graceMs: 1000 });
  try {
    const pids: number[] = [];
    for (const [id, cmd] of [['sd-a', ['/probe', 'hold']], ['sd-b', ['/probe', 'ignore-term']], ['sd-c', ['sh', '-c', 'while true; do echo tick; sleep 0.05; done']]] as const) {
      const r = await sup.engine('start', id, await sup.rootfs(), ...cmd);
      t.is(r.code, 0, r.stderr);
      pids.push((await sup.inspect(id)).pid);
    }
    const runClient = sup.engine('run', 'sd-run', await sup.rootfs(), '/probe', 'hold');
    await until('sd-run to start', async () => (await sup.engine('inspect', 'sd-run')).code === 0);
    pids.push((await sup.inspect('sd-run')).pid);
    const { code, tookMs: took } = await sup.terminate();
    t.is(code, 0);
    t.log(`orderly shutdown took ${took} ms (its watchdog exits 1 after grace + 3 s)`);
    t.false(fs.existsSync(sup.socket), 'socket removed');
    for (const pid of pids) t.false(pidAlive(pid), `container ${pid} is gone`);
    const run = await runClient;
    t.is(run.code, 137, 'the run client got the final status');
    t.regex(sup.log, /"msg":"supervisor exited cleanly"/);
    t.regex(sup.log, /"id":"sd-c","containerPid":\d+,"state":"stopped"/);
  } finally {
    await sup.stop();
  }
});

e2e('SIGKILL: no container process is left behind', async (t) => {
  const sup = await Supervisor.start();
  try {
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) {
      await sup.engine('start', `sk-${i}`, await sup.rootfs(), 'sh -c "sleep 1000 & sleep 1000 & wait"');
      pids.push((await sup.inspect(`sk-${i}`)).pid);
    }
    // The shells' children too: everything in each container's PID namespace (a start returns
    // once the shell runs, not once it has started its sleeps).
    const children = () => pids.flatMap((pid) => fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    await until('each shell to start its two sleeps', () => children().length === 6);
    const inner = children();
    t.is(inner.length, 6);
    sup.proc.kill('SIGKILL');
    await sup.exit;
    await until('every container process to be gone', () => [...pids, ...inner].every((p) => !pidAlive(p)), 5000);
    t.pass();
  } finally {
    await sup.stop();
  }
});

e2e('a second supervisor refuses while one answers, and leaves its socket alone', async (t) => {
  const sup = await Supervisor.start();
  try {
    const ino = fs.statSync(sup.socket).ino;
    const r = await runEngine(['supervisor', '--socket', sup.socket, '--state-dir', sup.stateDir]);
    t.is(r.code, 1);
    t.regex(r.stderr, new RegExp(`another supervisor \\(pid ${sup.pid}\\) is answering on ${sup.socket}`));
    t.is(fs.statSync(sup.socket).ino, ino);
    t.is(await sup.ping(), sup.pid);
    t.is(fs.statSync(sup.socket).mode & 0o777, 0o600, 'socket is 0600');
  } finally {
    await sup.stop();
  }
});

e2e('a stale socket of a killed supervisor is replaced', async (t) => {
  const sup = await Supervisor.start();
  try {
    sup.proc.kill('SIGKILL');
    await sup.exit;
    t.true(fs.existsSync(sup.socket), 'a killed supervisor leaves its socket');
    await sup.launch();
    t.is(await sup.ping(), sup.pid);
  } finally {
    await sup.stop();
  }
});

e2e('a path that is not a socket is not taken over', async (t) => {
  const sup = await Supervisor.start();
  try {
    const file = `${sup.dir}/not-a-socket`;
    fs.writeFileSync(file, 'precious');
    const r = await runEngine(['supervisor', '--socket', file, '--state-dir', sup.stateDir]);
    t.is(r.code, 1);
    t.regex(r.stderr, /exists and is not a socket/);
    t.is(fs.readFileSync(file, 'utf8'), 'precious');
  } finally {
    await sup.stop();
  }
});

e2e('200 start/stop cycles: no zombies, no growth of the supervisor\'s open fds', async (t) => {
  const sup = await Supervisor.start({ graceMs: 500 });
  try {
    const rootfs = await sup.rootfs();
    // Straight over the socket: 600 CLI processes would only measure node's start-up.
    const cycle = async (i: number) => {
      await sup.call({ verb: 'start', id: `cy-${i}`, rootfs, command: ['/probe', 'hold'] });
      const p = await sup.call({ verb: 'stop', id: `cy-${i}`, timeoutMs: 0 });
      if (!(p.ok && p.event === 'stopped' && p.record.state === 'stopped')) throw new Error(JSON.stringify(p));
      await sup.call({ verb: 'rm', id: `cy-${i}` });
    };
    for (let i = 0; i < 10; i++) await cycle(i); // warm up: lazy loads, thread pool
    const fdsBefore = openFds(sup.pid);
    for (let i = 10; i < 210; i++) await cycle(i);
    t.deepEqual(zombieChildren(sup.pid), []);
    // Descriptors are closed asynchronously after a container ends: wait for them, not for a time.
    const fdsAfter = await until('descriptors to be closed', () => {
      const n = openFds(sup.pid);
      return n <= fdsBefore + 2 && n;
    }, 10_000).catch(() => openFds(sup.pid));
    t.true(fdsAfter <= fdsBefore + 2, `fds before ${fdsBefore}, after ${fdsAfter}`);
    const ps = JSON.parse((await sup.engine('ps', '--json')).stdout);
    t.deepEqual(ps, []);
  } finally {
    await sup.stop();
  }
});
