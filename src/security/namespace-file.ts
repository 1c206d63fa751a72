// What kind of namespace a path names (for --network ns:PATH), without a native helper.
//
// Why this way: a namespace file (/proc/PID/ns/net, or a bind mount of one such as /run/netns/x)
// lives on nsfs, and an open descriptor of it reads back through /proc/self/fd as "net:[INODE]".
// The path is checked to be on nsfs before it is opened, so opening it cannot block (a FIFO) or
// touch a device; O_NONBLOCK guards the window between the two.

import { closeSync, constants, openSync, readlinkSync, statSync } from 'node:fs';

let nsfsDevice: number | undefined;

/** The st_dev all namespace files share (nsfs), taken from our own network namespace. */
function nsfs(): number {
  return (nsfsDevice ??= statSync('/proc/self/ns/net').dev);
}

/**
 * The namespace type at `path` as the kernel names it ("net", "mnt", "pid", "uts", "ipc", "user",
 * "cgroup", "time"), or an Error whose message says why it is not a namespace file.
 */
export function namespaceTypeOf(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new Error(`${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (st.dev !== nsfs()) throw new Error(`${path} is not a namespace file (not on nsfs)`);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const m = /^([a-z_]+):\[\d+\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
    if (!m) throw new Error(`${path} is not a namespace file`);
    return m[1];
  } finally {
    closeSync(fd);
  }
}
