// Reading linux.seccomp (OCI form). Also used for the rules of Docker-format profiles, whose
// syscalls[].args, actions and errno values mean the same thing.

import type { Seccomp, SeccompArg, SeccompSyscall } from './config.js';
import {
  MAX_ERRNO, SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FLAGS, SECCOMP_MAX_ARG_INDEX, SECCOMP_OPS, actionTakesErrno,
  type SeccompAction,
} from '../security/seccomp-names.js';
import { absolutePath, array, at, defined, fail, int, object, oneOf, opt, req, shown, string, uint64 } from './check.js';

export const readAction = oneOf(SECCOMP_ACTIONS, 'seccomp action');
export const readArch = oneOf(SECCOMP_ARCHES, 'seccomp architecture');
export const readFlag = oneOf(SECCOMP_FLAGS, 'seccomp flag');
export const readOp = oneOf(SECCOMP_OPS, 'seccomp operator');
export const readErrno = int(0, MAX_ERRNO);

const SYSCALL_NAME = /^[a-z_][a-z0-9_]*$/;

export function readSyscallName(v: unknown, path: string): string {
  const s = string(v, path);
  if (!SYSCALL_NAME.test(s)) fail(path, `not a system call name: ${shown(s)}`);
  return s;
}

export function readArg(v: unknown, path: string): SeccompArg {
  const o = object(v, path);
  return defined({
    index: req(o, 'index', path, int(0, SECCOMP_MAX_ARG_INDEX)),
    value: req(o, 'value', path, uint64),
    valueTwo: opt(o, 'valueTwo', path, uint64),
    op: req(o, 'op', path, readOp),
  });
}

/** errnoRet is meaningful only for actions that return a value; elsewhere it is a mistake. */
export function checkErrnoRet(action: SeccompAction, errnoRet: number | undefined, path: string): void {
  if (errnoRet !== undefined && !actionTakesErrno(action)) {
    fail(path, `is only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${action}`);
  }
}

export function readSyscall(v: unknown, path: string): SeccompSyscall {
  const o = object(v, path);
  const names = req(o, 'names', path, array(readSyscallName));
  if (names.length === 0) fail(at(path, 'names'), 'must name at least one system call');
  const action = req(o, 'action', path, readAction);
  const errnoRet = opt(o, 'errnoRet', path, readErrno);
  checkErrnoRet(action, errnoRet, at(path, 'errnoRet'));
  return defined({ names, action, errnoRet, args: opt(o, 'args', path, array(readArg)) });
}

export function readSeccomp(v: unknown, path: string): Seccomp {
  const o = object(v, path);
  const defaultAction = req(o, 'defaultAction', path, readAction);
  const defaultErrnoRet = opt(o, 'defaultErrnoRet', path, readErrno);
  checkErrnoRet(defaultAction, defaultErrnoRet, at(path, 'defaultErrnoRet'));
  return defined({
    defaultAction,
    defaultErrnoRet,
    architectures: opt(o, 'architectures', path, array(readArch)),
    flags: opt(o, 'flags', path, array(readFlag)),
    listenerPath: opt(o, 'listenerPath', path, absolutePath),
    listenerMetadata: opt(o, 'listenerMetadata', path, string),
    syscalls: opt(o, 'syscalls', path, array(readSyscall)),
  });
}
