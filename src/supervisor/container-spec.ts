// The spec of a container `engine start/run` asked for: the request's flags through buildSpec
// (Docker's defaults and opt-outs, validated once), plus what engine itself adds.

import type { RuntimeSpec } from '../spec/config.js';
import { buildSpec } from '../spec/from-flags.js';
import { securitySummary, type SecuritySummary } from '../spec/summary.js';
import type { ValidStart } from '../protocol/schema.js';
import { invalid } from '../errors.js';
import { parseTmpfs, parseVolume } from '../spec/volumes.js';

export interface ContainerSpec {
  spec: RuntimeSpec;
  security: SecuritySummary;
  /** -v/--tmpfs destinations: resolved beneath the rootfs by engine-init (no symlink out) */
  strictDestinations: Set<string>;
}

/** RFC 1123 host names, as Docker accepts for --hostname; at most 64 bytes (sethostname). */
const HOSTNAME = /^(?=.{1,64}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Throws EngineError(invalid_argument) with one line naming the flag, before anything is made. */
export function containerSpec(req: ValidStart, rootfs: string, command: string[]): ContainerSpec {
  if (req.hostname !== undefined && !HOSTNAME.test(req.hostname)) {
    throw invalid(`--hostname ${JSON.stringify(req.hostname.slice(0, 80))}: a host name is 1-64 characters of letters, digits, - and ., each label starting and ending with a letter or digit`);
  }
  const spec = buildSpec(
    {
      args: command,
      hostname: req.hostname ?? req.id,
      env: req.env,
      cwd: req.workdir,
      volume: req.volume,
      tmpfs: req.tmpfs,
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
  const strictDestinations = new Set([...(req.volume ?? []).map((v) => parseVolume(v).destination), ...(req.tmpfs ?? []).map((t) => parseTmpfs(t).destination)]);
  return { spec, security: securitySummary(spec, { privileged: req.privileged ?? false, seccomp }), strictDestinations };
}
