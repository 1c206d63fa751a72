// engine exec [-i] [-t] [-e K=V]... [-w DIR] [-u USER] [--detach-keys K] ID COMMAND [ARG...]
// A new process in a running container; exits with its status (125/126/127 when it could not
// start, as run). Options stand before ID; every word after ID belongs to the command.

import type { Command } from 'commander';
import { Client, socketPath, writeOut } from '../client.js';
import { DEFAULT_DETACH_KEYS, forwardStdin, forwardWindowSize, parseDetachKeys, RawTerminal, releaseStdin, requireTerminal, ttyRequest } from '../interactive.js';
import { CLIENT_ERROR_EXIT } from '../../errors.js';

const VALUE_FLAGS = ['-e', '--env', '-w', '--workdir', '-u', '--user', '--detach-keys', '--socket'];

export function preprocess(args: string[]): string[] {
  const own: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    own.push(a);
    const takesValue = VALUE_FLAGS.includes(a) || (/^-[a-zA-Z]+$/.test(a) && 'ewu'.includes(a[a.length - 1]));
    if (takesValue && i + 1 < args.length) own.push(args[++i]);
  }
  return [...own, '--', ...args.slice(i)];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  program
    .command('exec')
    .description('run a new process in a running container (its namespaces, cgroups and security profile) and exit with its status')
    .argument('<id>', 'a running container')
    .argument('<command...>', 'the command and its arguments')
    .option('-i, --interactive', "forward this terminal's stdin to the process (EOF closes its stdin)")
    .option('-t, --tty', 'give the process a pseudo-terminal (this terminal in raw mode, its size and TERM)')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable; repeatable', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user>', "UID[:GID], or names from the container's /etc/passwd and /etc/group")
    .option('--detach-keys <keys>', 'with -it: the keys that detach and leave the process running (default ctrl-p,ctrl-q)')
    .option('--socket <path>', 'supervisor socket')
    .addHelpText('after', '\nExamples:\n  engine exec alpha ps\n  engine exec -it alpha /bin/sh\n  engine exec -e A=1 -w /tmp -u nobody alpha env')
    .action(async (id: string, command: string[], o) => {
      const interactive = Boolean(o.interactive);
      const tty = Boolean(o.tty);
      if (tty) requireTerminal();
      const detachKeys = parseDetachKeys(o.detachKeys ?? DEFAULT_DETACH_KEYS);
      const client = await Client.open(socketPath(o.socket), {
        verb: 'exec',
        id,
        command,
        interactive: interactive || undefined,
        tty: tty ? ttyRequest() : undefined,
        env: o.env.length ? o.env : undefined,
        workdir: o.workdir,
        user: o.user,
      });
      const raw = new RawTerminal();
      let stopResize = () => {};
      let detached = false;
      try {
        const first = await client.reply();
        if (first.ok && first.event === 'exec-exited') {
          process.stderr.write(`engine: exec in ${id} failed: ${first.reason ?? 'it could not start'}\n`);
          process.exitCode = first.exitCode;
          return;
        }
        if (tty) {
          // Raw only when the keys go to the process (Docker's rule): with -t alone Ctrl-C stays ours.
          if (interactive) raw.enable();
          stopResize = forwardWindowSize(client);
        }
        if (interactive) forwardStdin(client, { detachKeys, onDetach: () => ((detached = true), client.close()) });
        let final;
        try {
          final = await client.reply(writeOut);
        } catch (err) {
          if (detached) return;
          throw err;
        }
        client.close();
        process.exitCode = final.ok && final.event === 'exec-exited' ? final.exitCode : CLIENT_ERROR_EXIT;
      } finally {
        stopResize();
        raw.restore();
        if (interactive) releaseStdin();
        if (detached) process.stderr.write(`engine: detached from the exec in ${id}; it keeps running\n`);
      }
    });
}
