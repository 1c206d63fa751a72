// Arguments of `start` and `run` (CONTRACT.md): the verb's own flags may stand before or after
// COMMAND; after COMMAND every other word goes to the container, dashes and all; after `--`
// everything does. preprocess() rewrites argv into "<own flags> -- ID ROOTFS COMMAND ARGS..."
// so commander sees the container's words only as operands.

import fs from 'node:fs';
import path from 'node:path';
import type { StartRequest } from '../protocol/messages.js';
import { parseEnvFile, resolveEnvEntry } from '../spec/env.js';
import { ttyRequest } from './interactive.js';
import { SOCKET_OPTION, valueFlags, type OptionSpec, type VerbSpec } from './verb-spec.js';

/** The verb's own switches (no value): engine's wherever they stand, as the value flags are. */
const SWITCHES = ['--privileged', '--read-only', '--rm', '--overlay'];

export function preprocess(args: string[]): string[] {
  const own: string[] = [];
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const commandSeen = operands.length >= 3;
    if (a === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (VALUE_FLAGS.includes(name)) {
      // Joined as --flag=value (-fvalue for a short flag) so that a value like -10 is never taken
      // for a flag.
      if (name !== a) own.push(a);
      else if (i + 1 < args.length) own.push(a.startsWith('--') ? `${a}=${args[++i]}` : `${a}${args[++i]}`);
      else own.push(a); // commander reports the missing value
      continue;
    }
    if (SWITCHES.includes(a)) {
      own.push(a);
      continue;
    }
    if (!commandSeen && a.startsWith('-') && a !== '-') {
      own.push(a); // --help, or an unknown option that commander reports
      continue;
    }
    operands.push(a);
  }
  return [...own, '--', ...operands];
}

const EXAMPLES = (verb: string) =>
  `\nExamples:\n  engine ${verb} alpha ./rootfs-alpha "echo hello-from-alpha"\n  engine ${verb} beta ./rootfs-beta /memory_hog --nice 10 --hard-mib 80\n  engine ${verb} gamma ./rootfs-gamma -- /bin/prog --nice 3   (words after -- all go to the container)`;

/** The options of `start` and `run`. */
function containerOptions(verb: 'start' | 'run'): OptionSpec[] {
  return [
    { flags: '--soft-mib <n>', description: 'soft memory limit in MiB: a warning event when crossed', default: '40' },
    { flags: '--hard-mib <n>', description: 'hard memory limit in MiB: the container is killed at it', default: '64' },
    { flags: '--nice <n>', description: 'nice value -20..19 (the container competes by it)', default: '0' },
    { flags: '--cpus <list>', description: 'CPUs the container may run on, e.g. 0 or 0-1,3' },
    { flags: '--log-mode <mode>', description: 'blocking: writes wait for the log; non-blocking: drop when the buffer is full', choices: ['blocking', 'non-blocking'], default: 'blocking' },
    { flags: '--log-buffer-mib <n>', description: 'buffer for --log-mode non-blocking, in MiB' },
    { flags: '--log-max-mib <n>', description: 'rotate the log to <id>.log.1 when it passes this size' },
    { flags: '--cap-add <cap>', description: 'add a capability (NAME, CAP_NAME or ALL); repeatable', repeat: true },
    { flags: '--cap-drop <cap>', description: 'drop a capability (NAME, CAP_NAME or ALL); repeatable', repeat: true },
    { flags: '--privileged', description: 'every capability, no seccomp, no masked paths, every host device' },
    { flags: '--security-opt <opt>', description: 'no-new-privileges, seccomp=unconfined, seccomp=PROFILE.json (Docker format); repeatable', repeat: true },
    { flags: '--network <mode>', description: 'none (default: its own namespace, lo up), host, or ns:PATH (join one, as ip netns makes)' },
    { flags: '--device <dev>', description: 'HOST[:CONTAINER[:PERMS]]: give the container a host device; repeatable', repeat: true },
    { flags: '--pids-limit <n>', description: 'at most N processes in the container (pids cgroup; default unlimited)' },
    { flags: '--ulimit <limit>', description: 'NAME=SOFT[:HARD], e.g. nofile=1024:2048 (-1: unlimited); repeatable', repeat: true },
    { flags: '-u, --user <user>', description: "UID[:GID], or names from the rootfs's /etc/passwd and /etc/group" },
    { flags: '--read-only', description: 'a read-only root filesystem (with a writable /tmp)' },
    { flags: '-e, --env <NAME=VALUE>', description: 'set an environment variable (NAME alone: its value here); repeatable', repeat: true },
    { flags: '--env-file <file>', description: 'read NAME=VALUE lines from a file (# comments); repeatable, -e wins', repeat: true },
    { flags: '-w, --workdir <dir>', description: 'working directory inside the container (made if missing)' },
    { flags: '-v, --volume <HOST:CONTAINER[:ro]>', description: 'bind-mount a host path (it must exist; ro: read-only, recursively); repeatable', repeat: true },
    { flags: '--tmpfs <PATH[:OPTIONS]>', description: 'mount a tmpfs, e.g. /scratch:size=64m,mode=1777,noexec; repeatable', repeat: true },
    { flags: '--hostname <name>', description: "the container's host name (default: its id)" },
    { flags: '--rm', description: 'remove the container (record, log, overlay) once it has ended and its output is printed' },
    { flags: '--overlay', description: 'use ROOTFS read-only under a private overlay: any number of containers share one rootfs; rm discards the changes' },
    { flags: '-i, --interactive', description: verb === 'run' ? "forward this terminal's stdin to the container (EOF closes its stdin)" : "keep the container's stdin open for engine attach" },
    { flags: '-t, --tty', description: 'give the container a pseudo-terminal (run: this terminal in raw mode, its size and TERM)' },
    { flags: '--detach-keys <keys>', description: 'run -it: the keys that detach and leave the container running (default ctrl-p,ctrl-q)' },
    SOCKET_OPTION,
  ];
}

/** Flags whose value is the next word (the pre-split keeps it with its flag): from the options themselves. */
const VALUE_FLAGS = valueFlags(containerOptions('run'));

/** `start` and `run`: the same operands and options; `action` is the verb's own. */
export function containerVerb(verb: 'start' | 'run', description: string, action: VerbSpec['action']): VerbSpec {
  return {
    name: verb,
    description,
    operands: [
      { name: 'id', description: 'container id: 1-64 of [A-Za-z0-9_.-], not starting with . or - (also its hostname)' },
      { name: 'rootfs', description: "the container's root filesystem: a directory no live container uses" },
      { name: 'command', description: 'command and arguments; one word with spaces runs as /bin/sh -c', variadic: true },
    ],
    options: containerOptions(verb),
    helpAfter: EXAMPLES(verb),
    action,
  };
}

/** A numeric flag: numbers go as numbers; anything else as given, for the supervisor to reject. */
function num(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  return /^[+-]?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : (v as unknown as number);
}

/** Paths the supervisor will open are made absolute here: its working directory is not ours. */
function absoluteSecurityOpt(opt: string): string {
  const m = /^seccomp([=:])(.+)$/.exec(opt);
  if (!m || m[2] === 'unconfined' || m[2] === 'builtin') return opt;
  return `seccomp${m[1]}${path.resolve(m[2])}`;
}

const nonEmpty = (list: string[] | undefined) => (list && list.length ? list : undefined);

export function toStartRequest(verb: 'start' | 'run', id: string, rootfs: string, command: string[], o: Record<string, any>): StartRequest {
  return {
    verb,
    id,
    rootfs: path.resolve(rootfs), // the supervisor's working directory is not the client's
    command,
    softMib: num(o.softMib),
    hardMib: num(o.hardMib),
    nice: num(o.nice),
    cpus: o.cpus,
    logMode: o.logMode as StartRequest['logMode'],
    logBufferMib: num(o.logBufferMib),
    logMaxMib: num(o.logMaxMib),
    capAdd: nonEmpty(o.capAdd),
    capDrop: nonEmpty(o.capDrop),
    privileged: o.privileged ? true : undefined,
    securityOpt: nonEmpty((o.securityOpt as string[] | undefined)?.map(absoluteSecurityOpt)),
    network: typeof o.network === 'string' && o.network.startsWith('ns:') ? `ns:${path.resolve(o.network.slice(3))}` : o.network,
    device: nonEmpty(o.device),
    pidsLimit: num(o.pidsLimit),
    ulimit: nonEmpty(o.ulimit),
    user: o.user,
    readOnly: o.readOnly ? true : undefined,
    env: nonEmpty(environment(o.envFile ?? [], o.env ?? [])),
    workdir: o.workdir,
    volume: nonEmpty((o.volume as string[] | undefined)?.map(absoluteVolume)),
    tmpfs: nonEmpty(o.tmpfs),
    hostname: o.hostname,
    rm: o.rm ? true : undefined,
    overlay: o.overlay ? true : undefined,
    interactive: o.interactive ? true : undefined,
    tty: o.tty ? ttyRequest() : undefined,
  };
}

/** The env files (read here, with the client's rights and working directory), then every -e. */
function environment(files: string[], entries: string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`--env-file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    out.push(...parseEnvFile(text, file, process.env));
  }
  for (const e of entries) {
    const entry = resolveEnvEntry(e, '-e', process.env);
    if (entry !== null) out.push(entry);
  }
  return out;
}

/** -v HOST:CONTAINER[:MODE] with HOST made absolute: the supervisor's working directory is not ours.
 *  A HOST that is not a path (a Docker named volume) is left for the supervisor to refuse. */
function absoluteVolume(v: string): string {
  const colon = v.indexOf(':');
  if (colon <= 0) return v;
  const host = v.slice(0, colon);
  return host.startsWith('/') || !/^\.\.?(\/|$)/.test(host) ? v : `${path.resolve(host)}${v.slice(colon)}`;
}
