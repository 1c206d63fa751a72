import { Option, type Command } from 'commander';
import { socketPath } from '../client.js';

export function register(program: Command): void {
  program
    .command('supervisor')
    .description('run the supervisor: the daemon that starts, watches and stops containers')
    .argument('[base-rootfs]', 'template rootfs that per-container copies are made from (never used by a container itself)')
    .option('--socket <path>', 'control socket (default: $ENGINE_SOCKET or /tmp/mini_runtime.sock)')
    .option('--state-dir <dir>', 'where logs/<id>.log go (default: the current directory)', '.')
    .option('--grace-ms <n>', 'default grace between SIGTERM and SIGKILL on stop and shutdown', '2000')
    .addOption(new Option('--log-level <level>', "the supervisor's own log level").choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'))
    .addOption(new Option('--log-format <format>', 'json (pino) or pretty (for people)').choices(['json', 'pretty']).default('json'))
    .addOption(new Option('--memory-enforcer <kind>', 'auto: the kernel module if loaded, else memory cgroups').choices(['auto', 'module', 'cgroup', 'none']).default('auto'))
    .action(async (base: string | undefined, o) => {
      const graceMs = Number(o.graceMs);
      if (!/^\d+$/.test(o.graceMs) || graceMs > 3_600_000) {
        process.stderr.write(`engine supervisor: --grace-ms must be a whole number of milliseconds (got ${o.graceMs})\n`);
        process.exitCode = 1;
        return;
      }
      const { runDaemon, DaemonError } = await import('../../supervisor/daemon.js');
      try {
        await runDaemon({
          baseRootfs: base,
          socket: socketPath(o.socket),
          stateDir: o.stateDir,
          graceMs,
          logLevel: o.logLevel,
          logFormat: o.logFormat,
          memoryEnforcer: o.memoryEnforcer,
        });
      } catch (err) {
        if (!(err instanceof DaemonError)) throw err;
        process.stderr.write(`engine supervisor: ${err.message}\n`);
        process.exitCode = 1;
      }
    });
}
