// engine-oci: a runc-compatible OCI runtime CLI (docs/oci.md). No daemon: every verb is one
// process that reads and writes the container's state under --root and exits. The container's
// init is engine-init, launched by `create` with the plan compiled from config.json by the same
// compiler `engine start` uses. Each verb is its own module, imported only when asked for.

import { UsageError } from './args.js';
import { configureLog, logError } from './log.js';
import { DEFAULT_ROOT } from './state.js';

export interface OciContext {
  root: string;
  debug: boolean;
}

type VerbModule = { run(ctx: OciContext, argv: string[]): Promise<number> };
// Each verb's module by name, imported only when asked for (one string per import, so the bundler
// that makes dist/oci/engine-oci.cjs finds every one).
const VERB_MODULES: Record<string, () => Promise<VerbModule>> = {
  create: () => import('./verbs/create.js'),
  start: () => import('./verbs/start.js'),
  state: () => import('./verbs/state.js'),
  kill: () => import('./verbs/kill.js'),
  delete: () => import('./verbs/delete.js'),
  exec: () => import('./verbs/exec.js'),
  ps: () => import('./verbs/ps.js'),
  pause: () => import('./verbs/pause.js'),
  resume: () => import('./verbs/resume.js'),
  list: () => import('./verbs/list.js'),
  features: () => import('./verbs/features.js'),
  spec: () => import('./verbs/spec.js'),
  run: () => import('./verbs/run.js'),
};
const VERBS = [...Object.keys(VERB_MODULES), 'events', 'update', 'checkpoint', 'restore'];
const NOT_SUPPORTED: Record<string, string> = {
  events: 'events is not supported by engine-oci',
  update: 'update is not supported by engine-oci',
  checkpoint: 'checkpoint/restore (CRIU) is not supported by engine-oci',
  restore: 'checkpoint/restore (CRIU) is not supported by engine-oci',
};

const USAGE = `Usage: engine-oci [global options] COMMAND [options] [arguments]

An OCI runtime (runc's command line), built on engine's container runtime.

Commands:
  create --bundle DIR [--pid-file F] [--console-socket S] [--no-pivot] [--no-new-keyring] [--preserve-fds N] ID
  start ID                    run the user process of a created container
  run --bundle DIR ID         create and start, wait for the exit
  state ID                    the container's state as JSON
  kill [--all] ID [SIGNAL]    send a signal (default SIGTERM) to the container
  delete [--force] ID         delete a stopped (or created) container; --force kills a running one
  exec [options] ID CMD...    run a process in a running container (or --process FILE)
  ps [--format table|json] ID list the container's processes
  pause ID / resume ID        freeze / thaw every process of the container
  list [--format table|json] [-q]
  features                    the features this runtime supports (runtime-spec features.md)
  spec [--bundle DIR]         write a default config.json

Global options: --root DIR (default ${DEFAULT_ROOT}), --log FILE, --log-format text|json, --debug,
--systemd-cgroup (refused: no systemd here), --version, --help.
`;

async function main(argv: string[]): Promise<number> {
  let root = DEFAULT_ROOT;
  let logFile: string | undefined;
  let logFormat: 'text' | 'json' = 'text';
  let debug = false;
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = () => (eq > 0 ? a.slice(eq + 1) : argv[++i]);
    switch (name) {
      case '--root':
        root = value();
        break;
      case '--log':
        logFile = value();
        break;
      case '--log-format': {
        const f = value();
        if (f !== 'text' && f !== 'json') throw new UsageError(`invalid log format "${f}": text or json`);
        logFormat = f;
        break;
      }
      case '--debug':
        debug = true;
        break;
      case '--systemd-cgroup':
        configureLog({ file: logFile, format: logFormat, debug });
        throw new UsageError('--systemd-cgroup: this host has no systemd; use cgroupfs paths (the default)');
      case '--criu':
      case '--rootless':
        value(); // runc's: accepted and ignored (no CRIU; engine-oci is never rootless)
        break;
      case '--version':
      case '-v': {
        const { ENGINE_VERSION } = await import('../version.js');
        process.stdout.write(`engine-oci version ${ENGINE_VERSION}\nspec: 1.1.0\n`);
        return 0;
      }
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      default:
        throw new UsageError(`flag provided but not defined: ${a}`);
    }
    if (root === undefined || logFile === '') throw new UsageError(`flag needs an argument: ${name}`);
  }
  configureLog({ file: logFile, format: logFormat, debug });
  const verb = argv[i];
  if (!verb || verb === 'help') {
    process.stdout.write(USAGE);
    return verb ? 0 : 1;
  }
  if (!VERBS.includes(verb)) throw new UsageError(`no such command: ${verb}`);
  if (NOT_SUPPORTED[verb]) throw new UsageError(NOT_SUPPORTED[verb]);
  const mod = await VERB_MODULES[verb]();
  return mod.run({ root, debug }, argv.slice(i + 1));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    logError((err as Error)?.message?.split('\n')[0] ?? String(err));
    process.exitCode = 1;
  },
);
