// A socket nobody can impersonate (issue 14, item 3): another user who binds the socket's path
// first (any user can, in a world-writable directory such as /tmp) receives nothing from the
// client, and a supervisor that starts on that path treats it as hostile and takes the path back.

import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI_ENTRY } from '../../src/paths.js';
import { runEngine, Supervisor } from '../support/harness.js';
import { runToEnd, until } from '../support/process.js';
import { e2eSkipReason, firstReason, when } from '../support/skip.js';

const e2e = when(test, e2eSkipReason);
const NOBODY = 65534;
/** The CLI run as nobody needs a checkout nobody can read (not one under a 0700 home directory). */
const cliAsNobody = when(
  test,
  firstReason(e2eSkipReason, spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'test', '-r', CLI_ENTRY]).status === 0 ? null : `needs a checkout that user ${NOBODY} can read`),
);

/** A listener owned by `nobody` at socketPath that writes "got N" for every byte it receives. */
function impostor(socketPath: string) {
  const script = `
    const net = require('net');
    net.createServer((s) => {
      console.log('connection');
      s.on('data', (d) => console.log('got ' + d.length));
      s.on('error', () => {});
    }).listen(${JSON.stringify(socketPath)}, () => console.log('listening'));`;
  const child = spawn(process.execPath, ['-e', script], { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'inherit'] });
  const state = { child, out: '' };
  child.stdout!.on('data', (d) => (state.out += d));
  return state;
}

e2e('an impostor bound the socket first: the client sends it nothing and says so; the supervisor replaces it', async (t) => {
  // A directory like /tmp: anyone may create names in it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `engine-e2e-${process.env.ENGINE_TEST_RUN ?? 'x'}-`));
  fs.chmodSync(dir, 0o1777);
  const socket = path.join(dir, 'engine.sock');
  const fake = impostor(socket);
  let sup: Supervisor | undefined;
  try {
    await until('the impostor to listen', () => fake.out.includes('listening'));
    const r = await runEngine(['start', 'secret', dir, 'sh', '-c', 'echo PASSWORD=hunter2'], { ENGINE_SOCKET: socket });
    t.is(r.code, 125);
    t.regex(r.stderr, new RegExp(`^engine: refusing to talk to ${socket}: it is served by uid ${NOBODY} \\(pid \\d+\\), not by root or by you.*nothing was sent.*\\n$`));
    await until('the impostor to see the connection', () => fake.out.includes('connection'));
    t.notRegex(fake.out, /got/, 'not one byte reached the impostor');

    // (The harness's own readiness pings are raw bytes with no peer check: they may reach the
    // impostor until the supervisor has taken the path; what matters is what comes after.)
    sup = await Supervisor.start({ dir });
    const seenBefore = fake.out;
    t.regex(sup.log, new RegExp(`bound by another user \\(uid ${NOBODY}, pid ${fake.child.pid}\\).*an impostor; replacing it`));
    t.regex(sup.log, /can be written by other users/, 'the unsafe directory is named');
    const st = fs.lstatSync(socket);
    t.true(st.isSocket());
    t.is(st.uid, 0, 'the path is the supervisor\'s now');
    t.like(await sup.engine('ps'), { code: 0 });
    t.is(fake.out, seenBefore, 'the impostor is no longer reached');
  } finally {
    fake.child.kill('SIGKILL');
    if (sup) await sup.stop();
    else fs.rmSync(dir, { recursive: true, force: true });
  }
});

cliAsNobody('another user at the 0600 socket: the client says "permission denied: run as root"', async (t) => {
  const sup = await Supervisor.start();
  try {
    fs.chmodSync(sup.dir, 0o755); // so that the socket file's own mode is what refuses
    const r = await runToEnd('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, CLI_ENTRY, 'ps'], { env: { ...process.env, ENGINE_SOCKET: sup.socket } });
    t.is(r.code, 125);
    t.is(r.stderr, `engine: cannot reach the supervisor at ${sup.socket}: permission denied: run as root (or as the supervisor's user)\n`);
  } finally {
    await sup.stop();
  }
});

e2e('another user let through the file mode is refused by its uid, and logged with one pid key (the supervisor\'s)', async (t) => {
  const sup = await Supervisor.start();
  try {
    fs.chmodSync(sup.dir, 0o755);
    fs.chmodSync(sup.socket, 0o666);
    // A raw client as nobody: it is answered at connect (by its uid), before it sends anything.
    const script = `
      const s = require('net').connect(${JSON.stringify(sup.socket)});
      const got = [];
      s.on('data', (d) => got.push(d));
      s.on('close', () => { const b = Buffer.concat(got); console.log(b.length ? b.subarray(5).toString() : 'closed'); });
      s.on('error', (e) => console.log(e.code));`;
    const r = await runToEnd('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', script]);
    const reply = JSON.parse(r.stdout);
    t.like(reply, { ok: false, error: { code: 'permission_denied' } });
    t.regex(reply.error.message, /^permission denied: only root or the supervisor user may use this socket$/);
    const line = await until('the refusal in the log', () => sup.log.split('\n').find((l) => l.includes('refused a client')));
    t.is(line.match(/"pid":/g)?.length, 1, line);
    t.like(JSON.parse(line), { pid: sup.pid, peerUid: NOBODY });
    t.is(typeof JSON.parse(line).peerPid, 'number');
  } finally {
    await sup.stop();
  }
});
