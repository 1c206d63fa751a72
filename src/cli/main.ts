#!/usr/bin/env node
// engine CLI entry. Imports only the module of the verb being run, so `engine ps` does not load
// the supervisor, zod or the native addon. The ./engine launcher goes straight to a verb's bundle
// when there is one (scripts/bundle-cli.mjs) and comes here for the rest.

import { CLIENT_ERROR_EXIT } from '../errors.js';
import { ENGINE_VERSION } from '../version.js';
import { runVerb, type VerbModule } from './run-verb.js';

const VERBS = ['supervisor', 'start', 'run', 'ps', 'logs', 'stop', 'rm', 'inspect', 'info', 'rootfs', 'exec', 'top', 'attach'] as const;

export const USAGE = `Usage: engine VERB [OPTIONS]

A multi-container runtime: a supervisor daemon and the client verbs that talk to it.

Verbs:
  supervisor [BASE_ROOTFS]          run the supervisor (the daemon the other verbs talk to)
  start ID ROOTFS COMMAND [ARG...]  start a container in the background
  run ID ROOTFS COMMAND [ARG...]    start a container, print its output, exit with its status
  ps [--json]                       list containers, live and ended
  exec [-i] [-t] ID COMMAND [ARG...] run a new process in a running container
  attach ID                         connect to a running container's terminal or stdin/stdout
  top ID                            list a running container's processes
  logs ID [-f] [-n N]               print a container's output
  stop ID [-t SECONDS]              stop a container: SIGTERM, then SIGKILL after a grace period
  rm ID                             forget an ended container and delete its log
  inspect ID                        print one container's record as JSON
  info [--json] [--reset-loop-delay]  the supervisor: pid, uptime, enforcer, event-loop delay
  rootfs create|import ...          make a root filesystem for containers
  oci VERB ...                      engine-oci, the OCI runtime (runc's command line; docs/oci.md)

Run 'engine VERB --help' for the options of a verb.
Socket: --socket PATH, or ENGINE_SOCKET, default /tmp/mini_runtime.sock.
`;

async function main(argv: string[]): Promise<void> {
  const verb = argv[0];
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (verb === '--version' || verb === '-V') {
    process.stdout.write(`engine ${ENGINE_VERSION}\n`);
    return;
  }
  if (verb === 'oci') {
    // `engine oci VERB ...` is engine-oci, the OCI runtime, for people: it reads process.argv itself.
    process.argv.splice(2, 1);
    await import('../oci/main.js');
    return;
  }
  if (!verb || !(VERBS as readonly string[]).includes(verb)) {
    if (verb) process.stderr.write(`engine: unknown verb '${verb}'\n\n`);
    process.stderr.write(USAGE);
    process.exitCode = 1;
    return;
  }
  const mod = (await import(`./verbs/${verb}.js`)) as VerbModule;
  await runVerb(verb, mod, argv.slice(1));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`engine: ${(err as Error)?.message ?? String(err)}\n`);
  process.exitCode = CLIENT_ERROR_EXIT;
});
