// Terminals, driven through a real one (tmux): run -it and exec -it give a shell whose terminal has
// the window's size and follows a resize, Ctrl-C reaches the container's foreground process and
// not the client, `exit N` ends the client with N and the host terminal is as it was; the detach
// keys leave a container running for attach. A tty's output is logged byte for byte.

import anyTest, { type TestFn } from 'ava';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CLI_ENTRY } from '../../src/paths.js';
import { Supervisor } from '../support/harness.js';
import { until } from '../support/process.js';
import { e2eSkipReason, firstReason, needsTool, when } from '../support/skip.js';
import { Tmux } from '../support/tmux.js';

const test = anyTest as TestFn<{ sup: Supervisor }>;
const e2e = when(test, e2eSkipReason);
const withTmux = when(test, firstReason(e2eSkipReason, needsTool('tmux')));

test.before(async (t) => {
  if (!e2eSkipReason) t.context.sup = await Supervisor.start({ graceMs: 1000 });
});
test.after.always(async (t) => {
  await t.context.sup?.stop();
});

/** The engine command line as typed in the terminal. */
function engineCmd(sup: Supervisor, ...args: string[]): string {
  return [`ENGINE_SOCKET=${sup.socket}`, process.execPath, CLI_ENTRY, ...args].join(' ');
}

/** `stty -a` without the window size (the test resizes on purpose). */
function settings(file: string): string {
  return fs.readFileSync(file, 'utf8').replace(/rows \d+; columns \d+;/, '');
}

/** Waits until the container runs `command` (its foreground process), by engine top. */
async function waitForProcess(sup: Supervisor, id: string, command: string): Promise<void> {
  await until(`${command} in ${id}`, async () => {
    const r = await sup.engine('top', '--json', id);
    return r.code === 0 && (JSON.parse(r.stdout) as Array<{ command: string }>).some((p) => p.command === command);
  }, 30_000, 50);
}

async function checkShell(term: Tmux, sup: Supervisor, id: string, prompt: RegExp): Promise<void> {
  await term.line('stty size; echo term=$TERM');
  await term.waitFor(/^24 80\nterm=xterm$/m, 'stty size 24 80 and TERM');
  // A resize reaches the container's terminal (SIGWINCH -> resize frame -> TIOCSWINSZ).
  await term.resize(100, 30);
  await until('the new size inside', async () => {
    await term.line('stty size');
    return (await term.screen()).includes('\n30 100');
  }, 30_000, 500);
  // Ctrl-C is a byte for the container's terminal: its foreground process gets SIGINT.
  await term.line('sleep 1000');
  await waitForProcess(sup, id, 'sleep 1000');
  await term.keys('C-c');
  await term.waitFor(prompt, 'the prompt after Ctrl-C');
  await term.line('echo status-$?');
  await term.waitFor(/^status-130$/m, 'sleep ended by SIGINT (130)');
}

withTmux('run -it: a shell prompt, the window size, resize, Ctrl-C inside, exit 3, terminal restored', async (t) => {
  const { sup } = t.context;
  const term = await Tmux.start();
  try {
    const dir = sup.dir;
    await term.line(`stty -a > ${dir}/stty-run-before`);
    await term.line(`${engineCmd(sup, 'run', '-it', 'tt-run', await sup.rootfs(), '/bin/sh')}; echo client-rc=$?`);
    await term.waitFor(/^\/ # ?$/m, 'the container shell prompt');
    await checkShell(term, sup, 'tt-run', /^\/ # ?$/m);
    t.is((await sup.inspect('tt-run')).state, 'running'); // the client passed Ctrl-C on, it did not stop it
    await term.line('exit 3');
    await term.waitFor(/^client-rc=3$/m, 'run to end with 3');
    await term.resize(80, 24);
    await term.line(`stty -a > ${dir}/stty-run-after; echo saved`);
    await term.waitFor(/^saved$/m, 'stty -a after');
    t.is(settings(`${dir}/stty-run-after`), settings(`${dir}/stty-run-before`));
    const rec = await sup.inspect('tt-run');
    t.is(rec.exitCode, 3);
    // The session is in the log as the terminal wrote it (CR LF), prompt and all.
    t.regex(sup.logOf('tt-run'), /\r\n30 100\r\n/);
  } finally {
    await term.kill();
  }
});

withTmux('exec -it: a shell in a running container, its hostname, resize, Ctrl-C, exit 4', async (t) => {
  const { sup } = t.context;
  await sup.startContainer({ id: 'tt-exec', rootfs: await sup.rootfs(), command: ['sleep', '999'] });
  const term = await Tmux.start();
  try {
    await term.line(`stty -a > ${sup.dir}/stty-exec-before`);
    await term.line(`${engineCmd(sup, 'exec', '-it', 'tt-exec', '/bin/sh')}; echo client-rc=$?`);
    await term.waitFor(/^\/ # ?$/m, 'the exec shell prompt');
    await term.line('hostname; tty');
    await term.waitFor(/^tt-exec\n\/dev\/pts\/\d+$/m, 'the container hostname and a pty');
    await checkShell(term, sup, 'tt-exec', /^\/ # ?$/m);
    await term.line('exit 4');
    await term.waitFor(/^client-rc=4$/m, 'exec to end with 4');
    await term.resize(80, 24);
    await term.line(`stty -a > ${sup.dir}/stty-exec-after; echo saved`);
    await term.waitFor(/^saved$/m, 'stty -a after');
    t.is(settings(`${sup.dir}/stty-exec-after`), settings(`${sup.dir}/stty-exec-before`));
    t.is((await sup.inspect('tt-exec')).state, 'running');
    t.false(sup.logOf('tt-exec').includes('/dev/pts'), 'exec output is not the container log');
  } finally {
    await term.kill();
  }
});

withTmux('a client killed by SIGTERM in raw mode restores the terminal (exec -it: 143)', async (t) => {
  const { sup } = t.context;
  await sup.startContainer({ id: 'tt-sig', rootfs: await sup.rootfs(), command: ['sleep', '998'] });
  const term = await Tmux.start();
  try {
    const pidFile = path.join(sup.dir, 'tt-sig.pid');
    await term.line(`stty -a > ${sup.dir}/stty-sig-before`);
    await term.line(`sh -c 'echo $$ > ${pidFile}; exec env ${engineCmd(sup, 'exec', '-it', 'tt-sig', '/bin/sh')}'; echo client-rc=$?`);
    await term.waitFor(/^\/ # ?$/m, 'the exec shell prompt');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    process.kill(pid, 'SIGTERM');
    await term.waitFor(/^client-rc=143$/m, 'the client to end by SIGTERM');
    await term.line(`stty -a > ${sup.dir}/stty-sig-after; echo saved`);
    await term.waitFor(/^saved$/m, 'stty -a after');
    t.is(settings(`${sup.dir}/stty-sig-after`), settings(`${sup.dir}/stty-sig-before`));
    t.is((await sup.inspect('tt-sig')).state, 'running');
  } finally {
    await term.kill();
  }
});

/** attach shows output from the moment it attached: Enter (until it is attached) brings a prompt. */
async function promptThroughAttach(term: Tmux): Promise<void> {
  await until('the prompt through attach', async () => {
    await term.keys('Enter');
    return /^\/ # ?$/m.test(await term.screen());
  }, 30_000, 500);
}

withTmux('detach keys leave the container running; attach returns to its terminal', async (t) => {
  const { sup } = t.context;
  const term = await Tmux.start();
  try {
    await term.line(`${engineCmd(sup, 'run', '-it', 'tt-detach', await sup.rootfs(), '/bin/sh')}; echo client-rc=$?`);
    await term.waitFor(/^\/ # ?$/m, 'the container shell prompt');
    await term.keys('C-p', 'C-q');
    await term.waitFor(/detached from tt-detach[^\n]*\n(.*\n)?client-rc=0$/m, 'the client to detach with 0');
    t.is((await sup.inspect('tt-detach')).state, 'running');
    // attach with keys of its own
    await term.line(`${engineCmd(sup, 'attach', '--detach-keys', 'ctrl-x,x', 'tt-detach')}; echo attach-rc=$?`);
    await promptThroughAttach(term);
    await term.line('echo back-$((40+2))');
    await term.waitFor(/^back-42$/m, 'a command through attach');
    await term.keys('C-x', 'x');
    await term.waitFor(/attach-rc=0$/m, 'attach to detach with its own keys');
    t.is((await sup.inspect('tt-detach')).state, 'running');
    await term.clear();
    await term.line(`${engineCmd(sup, 'attach', 'tt-detach')}; echo attach-rc=$?`);
    await promptThroughAttach(term);
    await term.line('exit 5');
    await term.waitFor(/attach-rc=5$/m, 'attach to end with the container, 5');
  } finally {
    await term.kill();
  }
});

e2e('a tty\'s output is logged byte for byte (raw: every byte value; cooked: LF as CR LF)', async (t) => {
  const { sup } = t.context;
  const rootfs = await sup.rootfs();
  const data = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), crypto.randomBytes(3 * 1024 * 1024)]);
  fs.writeFileSync(path.join(rootfs, 'data.bin'), data);
  await sup.startContainer({ id: 'tt-bytes', rootfs, command: ['/bin/sh', '-c', 'stty raw -echo; cat /data.bin'], tty: { rows: 24, cols: 80 } });
  await until('tt-bytes to end', async () => (await sup.inspect('tt-bytes')).state === 'exited', 60_000, 50);
  const log = fs.readFileSync((await sup.inspect('tt-bytes')).logPath);
  t.is(log.length, data.length);
  t.true(log.equals(data), 'the log is the bytes the pty gave, unchanged');

  const cooked = await sup.startContainer({ id: 'tt-cooked', rootfs: await sup.rootfs(), command: ['/bin/sh', '-c', 'tty; printf "a\\nb\\n"'], tty: { rows: 24, cols: 80 } });
  t.is(cooked.state, 'running');
  await until('tt-cooked to end', async () => (await sup.inspect('tt-cooked')).state === 'exited', 20_000, 50);
  t.is(sup.logOf('tt-cooked'), '/dev/pts/0\r\na\r\nb\r\n');
  // logs streams the same bytes
  t.is((await sup.engine('logs', 'tt-cooked')).stdout, '/dev/pts/0\r\na\r\nb\r\n');
});
