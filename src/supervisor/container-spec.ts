// The spec of a container `engine start/run` asked for: the request's flags through buildSpec
// (Docker's defaults and opt-outs, validated once), plus what engine itself adds.

import type { RuntimeSpec } from '../spec/config.js';
import { buildSpec } from '../spec/from-flags.js';
import { securitySummary, type SecuritySummary } from '../spec/summary.js';
import type { ValidStart } from '../protocol/schema.js';

export interface ContainerSpec {
  spec: RuntimeSpec;
  security: SecuritySummary;
}

/** Throws EngineError(invalid_argument) with one line naming the flag, before anything is made. */
export function containerSpec(req: ValidStart, rootfs: string, command: string[]): ContainerSpec {
  const spec = buildSpec(
    {
      args: command,
      hostname: req.id,
      capAdd: req.capAdd,
      capDrop: req.capDrop,
      privileged: req.privileged,
      securityOpt: req.securityOpt,
      network: req.network,
      device: req.device,
      pidsLimit: req.pidsLimit,
      ulimit: req.ulimit,
      user: req.user,
      readOnly: req.readOnly,
    },
    rootfs,
  );
  // engine's containers have their own cgroup namespace (Docker's default on cgroup v2): inside,
  // /sys/fs/cgroup and /proc/self/cgroup show the container's own cgroups.
  spec.linux!.namespaces!.push({ type: 'cgroup' });
  if (req.tty) {
    // -t: the container's stdio is a pty of its own devpts, sized as the client's window.
    spec.process!.terminal = true;
    spec.process!.consoleSize = { height: req.tty.rows, width: req.tty.cols };
    spec.process!.env = [...(spec.process!.env ?? []).filter((e) => !e.startsWith('TERM=')), `TERM=${req.tty.term || 'xterm'}`];
  }
  const opt = [...(req.securityOpt ?? [])].reverse().find((o) => o.startsWith('seccomp'));
  const seccomp = !opt || /seccomp[=:]builtin$/.test(opt) ? 'default' : opt.replace(/^seccomp[=:]/, '');
  return { spec, security: securitySummary(spec, { privileged: req.privileged ?? false, seccomp }) };
}
