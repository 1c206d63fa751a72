// Records that survive a crash (issue 14, item 6): after kill -9 of the supervisor and a restart
// in the same state directory, the containers it did not see end are listed as killed with a reason
// that says so, the ended ones as they were, and logs, inspect and rm work on both.

import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { Supervisor } from '../support/harness.js';
import { pidAlive, until } from '../support/process.js';
import { e2eSkipReason, when } from '../support/skip.js';

const e2e = when(test, e2eSkipReason);

e2e('kill -9 of the supervisor, then a restart: the old containers are listed, readable and removable', async (t) => {
  const sup = await Supervisor.start();
  try {
    const ended = await sup.engine('run', 'cr-ended', await sup.linkedRootfs(), 'sh', '-c', 'echo ended-line; exit 3');
    t.is(ended.code, 3);
    const live = await sup.engine('start', 'cr-live', await sup.linkedRootfs(), 'sh', '-c', 'echo live-line; exec sleep 1000');
    t.is(live.code, 0, live.stderr);
    const livePid = (await sup.inspect('cr-live')).pid as number;
    await until('the live container to have logged', () => sup.logOf('cr-live') === 'live-line\n');

    sup.proc.kill('SIGKILL');
    await sup.exit;
    await until('the live container to die with the supervisor', () => !pidAlive(livePid), 10_000);
    await sup.launch();

    const ps = await sup.engine('ps', '--json');
    t.is(ps.code, 0, ps.stderr);
    const records = JSON.parse(ps.stdout) as Array<Record<string, any>>;
    t.deepEqual(records.map((r) => r.id).sort(), ['cr-ended', 'cr-live']);
    t.like(records.find((r) => r.id === 'cr-ended'), { state: 'exited', exitCode: 3 });
    const killed = records.find((r) => r.id === 'cr-live')!;
    t.is(killed.state, 'killed');
    t.regex(killed.reason, /^the supervisor ended before the container/);
    t.regex(sup.log, /container record recovered/);

    t.like(await sup.engine('logs', 'cr-live'), { code: 0, stdout: 'live-line\n' });
    t.like(await sup.engine('logs', 'cr-ended'), { code: 0, stdout: 'ended-line\n' });
    const inspect = await sup.engine('inspect', 'cr-live');
    t.is(inspect.code, 0);
    t.is(JSON.parse(inspect.stdout).state, 'killed');
    t.is((await sup.engine('inspect', '--spec', 'cr-live')).code, 0, 'the spec was kept too');

    for (const id of ['cr-live', 'cr-ended']) t.like(await sup.engine('rm', id), { code: 0 });
    t.deepEqual(JSON.parse((await sup.engine('ps', '--json')).stdout), []);
    t.deepEqual(fs.readdirSync(path.join(sup.stateDir, 'containers')), [], 'no record left');
    t.false(fs.existsSync(path.join(sup.stateDir, 'logs', 'cr-live.log')), 'the log went with rm');
    // The id is free again, and a second restart (an orderly one) has nothing to recover.
    t.like(await sup.engine('run', 'cr-live', await sup.linkedRootfs(), 'true'), { code: 0 });
  } finally {
    await sup.stop();
  }
});
