// One container process through the real runtime, without a supervisor: the default (contained)
// spec for a command, engine-init launched and released. For the log pipeline's tests and bench,
// which feed LogPipelineImpl as the supervisor does.

import { nativeRuntime } from '../../src/runtime/native-runtime.js';
import type { ContainerHandle } from '../../src/runtime/types.js';
import { buildSpec } from '../../src/spec/from-flags.js';

export async function spawnContainer(id: string, rootfs: string, argv: string[], outFd: number): Promise<ContainerHandle> {
  const spec = buildSpec({ args: argv, hostname: id }, rootfs);
  const c = await nativeRuntime.spawn({ id, spec, nice: 0, cpus: null, outFd });
  c.release();
  return c;
}
