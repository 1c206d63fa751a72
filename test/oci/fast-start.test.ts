// engine-oci's launcher (native/oci-launcher/engine-oci.c): `start` of a plain created container is
// done in C without Node; everything else is handed to Node with the same arguments. Which way a
// start went is shown by pointing ENGINE_OCI_NODE at a file that does not exist: the C path still
// succeeds, a fallback fails with the launcher's one-line "cannot run node". engine only: runc has
// no such launcher.

import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { DirectRuntime, writeBundle } from './harness/bundle.js';
import { cgroupDirs, cgroupsUnder, processesInCgroup, removeCgroups } from './harness/leftovers.js';
import { run, until, type RunResult } from './harness/process.js';
import { copyRootfs } from './harness/rootfs.js';
import { containerId, forEachRuntime } from './harness/scenario.js';

const NO_NODE = { ...process.env, ENGINE_OCI_NODE: '/nonexistent/node-for-fast-start-test' };
const CANNOT_RUN_NODE = /^engine-oci: cannot run node \(\/nonexistent\/node-for-fast-start-test\) for \S+\/bin\/engine-oci\.cjs: No such file or directory\n$/;

forEachRuntime('fast-start', (scenario, rt, env) => {
  if (rt.name !== 'engine') return;
  const base = path.join(env.dir, 'fast-start', rt.name);
  const runtime = new DirectRuntime(rt, path.join(base, 'state'));
  const cgroupParent = `/${env.tag}-fast-${rt.name}`;
  let rootfs: Promise<string> | null = null;
  const sharedRootfs = () => (rootfs ??= copyRootfs(env.rootfsBase, path.join(base, 'rootfs')));

  /** A runtime call with node hidden: only the C launcher can answer it. */
  const callWithoutNode = (args: string[]): Promise<RunResult> =>
    run(rt.path, ['--root', runtime.root, ...args], { env: NO_NODE, timeoutMs: 30_000, outputDir: `${runtime.root}.out` });

  const marker = (id: string) => path.join(runtime.root, id, 'fast-start');
  const fifo = (id: string) => path.join(runtime.root, id, 'exec.fifo');

  const create = async (t: ExecutionContext, what: string, hooks?: Parameters<typeof writeBundle>[2]['hooks']) => {
    const id = containerId(rt, what);
    const dir = await writeBundle(env.dir, path.join(base, 'bundles', id), {
      args: ['/probe', 'hold'], rootfs: await sharedRootfs(), cgroupsPath: `${cgroupParent}/${id}`, hooks,
      annotations: { 'oci-lane.scenario': `fast-start: ${what}` },
    });
    t.teardown(async () => {
      await runtime.call(['delete', '--force', id]);
      const cg = `${cgroupParent}/${id}`;
      for (const pid of processesInCgroup(cg)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await until(`the cgroups of ${id} to be removable`, () => removeCgroups([...cgroupsUnder(cg), ...cgroupDirs(cg)]).length === 0, 10_000, 50).catch(() => undefined);
    });
    const r = await runtime.call(['create', '--bundle', dir, id]);
    t.is(r.code, 0, `create: ${r.stderr}`);
    return id;
  };

  const status = async (id: string) => (await runtime.state(id)).state?.status;
  const initPid = async (id: string) => Number((await runtime.state(id)).state?.pid);
  /** The command the init runs once it is past the gate and has executed /probe. */
  const runsProbe = (pid: number) => {
    try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('/probe\0hold'); } catch { return false; }
  };

  scenario('start of a plain created container needs no Node: it runs, the marker and the gate are gone', async (t) => {
    const id = await create(t, 'plain');
    const pid = await initPid(id);
    t.is(fs.readFileSync(marker(id), 'utf8').split(' ')[0], String(pid), 'the marker names the init');
    t.true(fs.existsSync(fifo(id)));
    const r = await callWithoutNode(['start', id]);
    t.is(r.code, 0, `start without node: ${r.stderr}`);
    t.is(r.stderr, '');
    t.false(fs.existsSync(marker(id)), 'marker removed');
    t.false(fs.existsSync(fifo(id)), 'exec.fifo removed');
    await until(`${id}'s init to execute /probe`, () => runsProbe(pid), 10_000);
    t.is(await status(id), 'running');
    // Every later verb is Node's again, with runc's messages.
    const again = await runtime.call(['start', id]);
    t.is(again.code, 1);
    t.is(again.stderr, 'engine-oci: cannot start an already running container\n');
    const still = await callWithoutNode(['start', id]);
    t.regex(still.stderr, CANNOT_RUN_NODE, 'a second start falls back (there is no marker)');
  });

  scenario('a container with a poststart hook has no marker: its start is Node\'s, which runs the hook', async (t) => {
    const ran = path.join(base, `poststart-${process.pid}-${Date.now()}`);
    const id = await create(t, 'poststart', { poststart: [{ path: '/bin/sh', args: ['sh', '-c', `/bin/cat > ${ran}`] }] });
    t.false(fs.existsSync(marker(id)));
    const r = await callWithoutNode(['start', id]);
    t.is(r.code, 127);
    t.regex(r.stderr, CANNOT_RUN_NODE);
    t.is(await status(id), 'created', 'the fallback did nothing: still created');
    const ok = await runtime.call(['start', id]);
    t.is(ok.code, 0, ok.stderr);
    t.like(JSON.parse(fs.readFileSync(ran, 'utf8')), { id, status: 'running' });
    t.is(await status(id), 'running');
  });

  scenario('start of a created container whose init was killed falls back: Node says it has stopped', async (t) => {
    const id = await create(t, 'stopped');
    const pid = await initPid(id);
    process.kill(pid, 'SIGKILL');
    await until(`${id} to be stopped`, async () => (await status(id)) === 'stopped');
    t.true(fs.existsSync(marker(id)), 'the marker is still there: only the launcher\'s checks stop it');
    const r = await callWithoutNode(['start', id]);
    t.is(r.code, 127);
    t.regex(r.stderr, CANNOT_RUN_NODE);
    const withNode = await runtime.call(['start', id]);
    t.is(withNode.code, 1);
    t.is(withNode.stderr, 'engine-oci: cannot start a container that has stopped\n');
  });

  scenario('start through Node while the marker exists (a global flag the launcher leaves to Node): started, marker removed', async (t) => {
    const id = await create(t, 'node-with-marker');
    const pid = await initPid(id);
    t.true(fs.existsSync(marker(id)));
    const r = await runtime.call(['--rootless', 'false', 'start', id]);
    t.is(r.code, 0, r.stderr);
    t.false(fs.existsSync(marker(id)), 'marker removed');
    t.false(fs.existsSync(fifo(id)), 'exec.fifo removed');
    await until(`${id}'s init to execute /probe`, () => runsProbe(pid), 10_000);
    t.is(await status(id), 'running');
  });

  scenario('--root=DIR, --log, --log-format json and --debug before start are the launcher\'s too', async (t) => {
    const id = await create(t, 'global-flags');
    const log = path.join(base, `log-${id}.json`);
    const r = await run(rt.path, [`--root=${runtime.root}`, '--log', log, '--log-format', 'json', '--debug', 'start', id],
      { env: NO_NODE, timeoutMs: 30_000, outputDir: `${runtime.root}.out` });
    t.is(r.code, 0, r.stderr);
    t.is(await status(id), 'running');
  });

  scenario('bad ids, unknown flags, other verbs and extra arguments fall back and keep Node\'s messages', async (t) => {
    const cases: [string[], string][] = [
      [['start', '../x'], 'engine-oci: invalid container id "../x": letters, digits and _ + - . only\n'],
      [['start', 'a/b'], 'engine-oci: invalid container id "a/b": letters, digits and _ + - . only\n'],
      [['--bogus', 'start', 'x'], 'engine-oci: flag provided but not defined: --bogus\n'],
      [['start', '--bogus', 'x'], 'engine-oci: flag provided but not defined: --bogus\n'],
      [['start', 'x', 'y'], 'engine-oci: start takes one container id\n'],
      [['start', 'nosuch'], 'engine-oci: container "nosuch" does not exist\n'],
      [['--log-format', 'xml', 'start', 'x'], 'engine-oci: invalid log format "xml": text or json\n'],
      [['state', 'nosuch'], 'engine-oci: container "nosuch" does not exist\n'],
    ];
    for (const [args, message] of cases) {
      const r = await runtime.call(args);
      t.is(r.code, 1, args.join(' '));
      t.is(r.stderr, message, args.join(' '));
      const c = await callWithoutNode(args);
      t.regex(c.stderr, CANNOT_RUN_NODE, `${args.join(' ')} falls back to Node`);
    }
  });

  scenario('delete of a created container removes the marker with the rest: the state root is empty', async (t) => {
    const id = await create(t, 'delete-created');
    t.true(fs.existsSync(marker(id)));
    const r = await runtime.call(['delete', id]);
    t.is(r.code, 0, r.stderr);
    t.false(fs.existsSync(path.join(runtime.root, id)));
    t.deepEqual(runtime.entries().filter((e) => e.includes(id)), []);
  });

  scenario('leaves nothing behind: state root empty, no cgroup', async (t) => {
    t.deepEqual(runtime.entries(), [], `entries in the state root ${runtime.root}`);
    t.deepEqual(cgroupsUnder(cgroupParent), [], 'cgroups');
  });
});
