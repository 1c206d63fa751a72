// What kind of namespace a path names (for --network ns:PATH).
//
// Why this way: a namespace file (/proc/PID/ns/net, or a bind mount of one such as /run/netns/x)
// lives on nsfs. The path is checked to be on nsfs before it is opened, so opening it cannot block
// (a FIFO) or touch a device; O_NONBLOCK guards the window between the two. The type comes from
// the NS_GET_NSTYPE ioctl: reading the descriptor back through /proc/self/fd gives "net:[INODE]"
// only for /proc/PID/ns files, while a bind mount (what `ip netns add` makes) reads back as its path.

import { closeSync, constants, openSync, statSync } from 'node:fs';
import { native } from '../native/addon.js';
import { CLONE } from '../runtime/plan.js';

/** CLONE_NEW* flag -> the kernel's name of the namespace type (as in /proc/PID/ns). */
const TYPE_NAMES = new Map<number, string>([
  [CLONE.NEWNET, 'net'], [CLONE.NEWNS, 'mnt'], [CLONE.NEWPID, 'pid'], [CLONE.NEWUTS, 'uts'], [CLONE.NEWIPC, 'ipc'],
  [CLONE.NEWUSER, 'user'], [CLONE.NEWCGROUP, 'cgroup'], [0x80 /* CLONE_NEWTIME */, 'time'],
]);

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
    let type: number;
    try {
      type = native().nsType(fd);
    } catch {
      throw new Error(`${path} is not a namespace file`);
    }
    return TYPE_NAMES.get(type) ?? `unknown (${type})`;
  } finally {
    closeSync(fd);
  }
}
