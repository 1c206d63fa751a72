// No lost failure messages (issue 14, item 4): a command that is not found or not executable
// leaves `engine: exec X: ...` in the container's log every time, not just mostly. 1,000 runs
// over the socket (no CLI process per run), several at once, each on its own rootfs.

import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { call, Client } from '../../src/cli/client.js';
import { Supervisor } from '../support/harness.js';
import { e2eSkipReason, when } from '../support/skip.js';

const e2e = when(test, e2eSkipReason);
const RUNS = 1000;
const AT_ONCE = 8;

e2e(`${RUNS} failed execs, ${AT_ONCE} at once: every log holds the message, every status is right`, async (t) => {
  t.timeout(600_000);
  const sup = await Supervisor.start();
  try {
    const lanes = await Promise.all(
      Array.from({ length: AT_ONCE }, async (_, i) => {
        const rootfs = await sup.linkedRootfs(`fe-rootfs-${i}`);
        fs.writeFileSync(path.join(rootfs, 'notexec'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
        return rootfs;
      }),
    );
    const problems: string[] = [];
    let next = 0;
    let found = 0;
    await Promise.all(
      lanes.map(async (rootfs, lane) => {
        while (next < RUNS) {
          const n = next++;
          const id = `fe-${lane}-${n}`;
          // Half not found, half found but not executable.
          const [command, status, message] =
            n % 2 ? [`/no/such/program-${n}`, 127, `engine: exec /no/such/program-${n}: command not found\n`] : ['/notexec', 126, 'engine: exec /notexec: permission denied or not an executable\n'];
          const client = await Client.open(sup.socket, { verb: 'run', id, rootfs, command: [command] });
          let streamed = '';
          try {
            await client.reply();
            const final = await client.reply((d) => void (streamed += d.toString()));
            if (!final.ok || final.event !== 'exited') throw new Error(`${id}: ${JSON.stringify(final)}`);
            if (final.record.state !== 'failed' || final.record.exitCode !== status) problems.push(`${id}: ${final.record.state} ${final.record.exitCode}`);
          } finally {
            client.close();
          }
          const log = sup.logOf(id);
          if (log.includes(message)) found++;
          else problems.push(`${id}: log ${JSON.stringify(log)}, streamed ${JSON.stringify(streamed)}`);
          const rm = await call(sup.socket, { verb: 'rm', id });
          if (!rm.ok) problems.push(`${id}: rm failed`);
        }
      }),
    );
    t.deepEqual(problems.slice(0, 10), []);
    t.is(found, RUNS, 'every log holds its message');
  } finally {
    await sup.stop();
  }
});
