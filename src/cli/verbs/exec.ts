// engine exec [-i] [-t] [-e K=V]... [-w DIR] [-u USER] [--detach-keys K] ID COMMAND [ARG...]
// A new process in a running container; exits with its status (125/126/127 when it could not
// start, as run). Options stand before ID; every word after ID belongs to the command.

import { Client, socketPath } from '../client.js';
import { DEFAULT_DETACH_KEYS, InteractiveSession, parseDetachKeys, requireTerminal, ttyRequest } from '../interactive.js';
import { SOCKET_OPTION, valueFlags, type VerbSpec } from '../verb-spec.js';
import { CLIENT_ERROR_EXIT } from '../../errors.js';


export function preprocess(args: string[]): string[] {
  const takeValue = valueFlags(spec.options);
  const shortTakeValue = takeValue.filter((f) => /^-[a-zA-Z]$/.test(f)).map((f) => f[1]);
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
    const takesValue = takeValue.includes(a) || (/^-[a-zA-Z]+$/.test(a) && shortTakeValue.includes(a[a.length - 1]));
    if (takesValue && i + 1 < args.length) own.push(args[++i]);
  }
  return [...own, '--', ...args.slice(i)];
}

export const spec: VerbSpec = {
  name: 'exec',
  description: 'run a new process in a running container (its namespaces, cgroups and security profile) and exit with its status',
  operands: [
    { name: 'id', description: 'a running container' },
    { name: 'command', description: 'the command and its arguments', variadic: true },
  ],
  options: [
    { flags: '-i, --interactive', description: "forward this terminal's stdin to the process (EOF closes its stdin)" },
    { flags: '-t, --tty', description: 'give the process a pseudo-terminal (this terminal in raw mode, its size and TERM)' },
    { flags: '-e, --env <KEY=VALUE>', description: 'set an environment variable; repeatable', repeat: true },
    { flags: '-w, --workdir <dir>', description: 'working directory inside the container' },
    { flags: '-u, --user <user>', description: "UID[:GID], or names from the container's /etc/passwd and /etc/group" },
    { flags: '--detach-keys <keys>', description: 'with -it: the keys that detach and leave the process running (default ctrl-p,ctrl-q)' },
    SOCKET_OPTION,
  ],
  helpAfter: '\nExamples:\n  engine exec alpha ps\n  engine exec -it alpha /bin/sh\n  engine exec -e A=1 -w /tmp -u nobody alpha env',
  async action(id: string, command: string[], o) {
    const stdin = Boolean(o.interactive);
    const tty = Boolean(o.tty);
    if (tty) requireTerminal();
    const detachKeys = parseDetachKeys(o.detachKeys ?? DEFAULT_DETACH_KEYS);
    const client = await Client.open(socketPath(o.socket), {
      verb: 'exec',
      id,
      command,
      interactive: stdin || undefined,
      tty: tty ? ttyRequest() : undefined,
      env: o.env.length ? o.env : undefined,
      workdir: o.workdir,
      user: o.user,
    });
    const first = await client.reply();
    if (first.ok && first.event === 'exec-exited') {
      client.close();
      process.stderr.write(`engine: exec in ${id} failed: ${first.reason ?? 'it could not start'}\n`);
      process.exitCode = first.exitCode;
      return;
    }
    const final = await new InteractiveSession(client).run({ tty, stdin, detachKeys });
    if (final === null) {
      process.stderr.write(`engine: detached from the exec in ${id}; it keeps running\n`);
      return;
    }
    process.exitCode = final.ok && final.event === 'exec-exited' ? final.exitCode : CLIENT_ERROR_EXIT;
  },
};
