// linux.seccomp (OCI form) to the raw BPF program the container's child installs, compiled once
// per distinct filter per process.
//
// Why a cache: compiling the default profile with libseccomp costs milliseconds (docs/security.md,
// "Cost") and blocks the supervisor's event loop, while almost every container asks for one of very
// few filters (the default profile for one capability set). The key is the filter description itself, so two
// containers share a program exactly when libseccomp would be given the same input.
// Rule shaping follows runc: a rule whose action is the default action is dropped (libseccomp
// refuses it); several conditions on the same argument become one rule per condition (an OR),
// because libseccomp ANDs the conditions of one rule and cannot AND two on one argument.

import type { Seccomp, SeccompSyscall } from '../spec/config.js';
import { native } from '../native/addon.js';
import { actionValue, filterFlagBits, libseccompArchName, opValue } from './seccomp-names.js';

export interface FilterArg {
  index: number;
  op: number;
  value: bigint;
  valueTwo: bigint;
}

export interface FilterRule {
  name: string;
  action: number;
  args: FilterArg[];
}

/** What the addon's compileSeccomp takes: values already in libseccomp's encoding. */
export interface FilterDescription {
  defaultAction: number;
  arches: string[];
  rules: FilterRule[];
}

export interface CompiledFilter {
  /** struct sock_filter[] (8 bytes per instruction), for seccomp(SECCOMP_SET_MODE_FILTER, flags, prog). */
  program: Buffer;
  /** SECCOMP_FILTER_FLAG_* bits for that call. */
  flags: number;
}

function rulesOf(call: SeccompSyscall, defaultAction: number): FilterRule[] {
  const action = actionValue(call.action, call.errnoRet);
  if (action === defaultAction) return [];
  const args = (call.args ?? []).map((a) => ({ index: a.index, op: opValue(a.op), value: BigInt(a.value), valueTwo: BigInt(a.valueTwo ?? 0) }));
  const indexes = new Set(args.map((a) => a.index));
  const groups = indexes.size < args.length ? args.map((a) => [a]) : [args];
  return call.names.flatMap((name) => groups.map((g) => ({ name, action, args: g })));
}

export function describeFilter(seccomp: Seccomp): FilterDescription {
  const defaultAction = actionValue(seccomp.defaultAction, seccomp.defaultErrnoRet);
  return {
    defaultAction,
    arches: (seccomp.architectures ?? []).map(libseccompArchName),
    rules: (seccomp.syscalls ?? []).flatMap((c) => rulesOf(c, defaultAction)),
  };
}

const CACHE_LIMIT = 32;
const cache = new Map<string, Buffer>();
let compilations = 0;

const keyOf = (d: FilterDescription) => JSON.stringify(d, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

/**
 * The BPF program for a spec's seccomp section. The returned program is shared between callers:
 * treat it as read-only.
 */
export function compileSeccomp(seccomp: Seccomp): CompiledFilter {
  const description = describeFilter(seccomp);
  const key = keyOf(description);
  let program = cache.get(key);
  if (!program) {
    program = native().compileSeccomp(description);
    compilations++;
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(key, program);
  }
  return { program, flags: filterFlagBits(seccomp.flags) };
}

/** How many times this process ran libseccomp (for tests of the cache). */
export const compileCount = () => compilations;
