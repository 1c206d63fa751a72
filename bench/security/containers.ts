// What containment costs a whole container: `engine run ID ROOTFS /bin/true` through a real
// supervisor (test/support/harness.ts), with the defaults (14 capabilities, the seccomp filter,
// masked and read-only paths, a network namespace with lo up, the devices cgroup) against
// --privileged (none of that but the network namespace) and seccomp=unconfined (the filter alone
// left out). Timed two ways, variants alternating round by round:
//   cli     the CLI as a user runs it, timed by bash (time-cli.sh): Node's start-up included
//   socket  the same `run` request sent over the socket from this process: start, exec, exit and
//           log drain as the supervisor does them, without a CLI process
// Ids are unique per run and records are removed after each. The supervisor's count of libseccomp
// compilations (engine info) is read before the first container, after it and at the end: the
// filter is compiled once per supervisor and filter, never per container.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Client } from '../../src/cli/client.js';
import { toStartRequest } from '../../src/cli/container-args.js';
import { CLI_ENTRY, REPO_ROOT } from '../../src/paths.js';
import { Supervisor } from '../../test/support/harness.js';
import { timeStats, type Stats } from './stats.js';

export interface Variant {
  name: string;
  /** CLI flags */
  flags: string[];
  /** the same as the CLI's parsed options, for the socket request */
  options: Record<string, unknown>;
}

export const VARIANTS: Variant[] = [
  { name: 'default', flags: [], options: {} },
  { name: '--privileged', flags: ['--privileged'], options: { privileged: true } },
  { name: '--security-opt seccomp=unconfined', flags: ['--security-opt', 'seccomp=unconfined'], options: { securityOpt: ['seccomp=unconfined'] } },
];

export interface ContainerCosts {
  rounds: number;
  cli: Record<string, Stats & { samples: number[] }>;
  socket: Record<string, Stats & { samples: number[] }>;
  /** `node -e 0` and `engine info` (a CLI round trip) timed the same way as the cli rows */
  floors: Record<string, Stats & { samples: number[] }>;
  compiles: { beforeAny: number; afterFirst: number; atEnd: number; containers: number };
}

const TIME_CLI = path.join(REPO_ROOT, 'bench/security/time-cli.sh');

function timeCli(args: string[], env: NodeJS.ProcessEnv): number {
  return Number(execFileSync(TIME_CLI, args, { encoding: 'utf8', env: { ...process.env, ...env } }).trim());
}

/** One `run` over the socket: from the request to the final record (exited, output drained). */
async function timeSocket(sup: Supervisor, id: string, rootfs: string, v: Variant): Promise<number> {
  const req = toStartRequest('run', id, rootfs, ['/bin/true'], { softMib: '40', hardMib: '64', nice: '0', logMode: 'blocking', ...v.options });
  const t0 = performance.now();
  const client = await Client.open(sup.socket, req);
  await client.reply(); // started
  const final = await client.reply(() => {});
  const took = performance.now() - t0;
  client.close();
  if (!final.ok || final.event !== 'exited' || final.record.exitCode !== 0) throw new Error(`run ${id} (${v.name}): ${JSON.stringify(final)}`);
  return took;
}

export async function containerCosts(rounds: number, warmup = 2): Promise<ContainerCosts> {
  const sup = await Supervisor.start();
  try {
    const env = { ENGINE_SOCKET: sup.socket };
    const rootfs = Object.fromEntries(await Promise.all(VARIANTS.map(async (v, i) => [v.name, await sup.rootfs(`rootfs-${i}`)] as const)));
    const cli: Record<string, number[]> = Object.fromEntries(VARIANTS.map((v) => [v.name, []]));
    const socket: Record<string, number[]> = Object.fromEntries(VARIANTS.map((v) => [v.name, []]));
    const floors: Record<string, number[]> = { 'node -e 0': [], '`engine info` (a CLI round trip, no container)': [] };
    const compiles = async () => (await sup.info()).seccompCompilations;
    const beforeAny = await compiles();
    let afterFirst = -1;
    let containers = 0;
    const tag = `bench-${process.pid}`;
    for (let round = -warmup; round < rounds; round++) {
      // Rotate which variant goes first, so no variant always follows the same one.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round + warmup) % VARIANTS.length]);
      for (const [k, v] of order.entries()) {
        const idCli = `${tag}-c${round + warmup}-${k}`;
        const idSocket = `${tag}-s${round + warmup}-${k}`;
        const c = timeCli([process.execPath, CLI_ENTRY, 'run', idCli, rootfs[v.name], ...v.flags, '--', '/bin/true'], env);
        containers++;
        if (afterFirst < 0) afterFirst = await compiles();
        const s = await timeSocket(sup, idSocket, rootfs[v.name], v);
        containers++;
        await Promise.all([idCli, idSocket].map((id) => sup.call({ verb: 'rm', id })));
        if (round < 0) continue;
        cli[v.name].push(c);
        socket[v.name].push(s);
      }
      if (round < 0) continue;
      floors['node -e 0'].push(timeCli([process.execPath, '-e', '0'], env));
      floors['`engine info` (a CLI round trip, no container)'].push(timeCli([process.execPath, CLI_ENTRY, 'info'], env));
    }
    const atEnd = await compiles();
    const withStats = (m: Record<string, number[]>) => Object.fromEntries(Object.entries(m).map(([k, xs]) => [k, { ...timeStats(xs), samples: xs }]));
    return { rounds, cli: withStats(cli), socket: withStats(socket), floors: withStats(floors), compiles: { beforeAny, afterFirst, atEnd, containers } };
  } finally {
    await sup.stop();
  }
}
