// Linux capabilities: names, numbers and masks.
//
// Why a table of our own: the spec, the CLI flags and the seccomp profile all name capabilities,
// and the spawn path needs them as bit masks. The numbers are kernel ABI (include/uapi/linux/
// capability.h) and never change; a kernel older than the table simply knows fewer of them, so
// masks are cut at /proc/sys/kernel/cap_last_cap instead of failing (runc does the same).

import { readFileSync } from 'node:fs';

/** Index = capability number. */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export type CapabilityName = (typeof CAPABILITIES)[number];

const NUMBER_OF = new Map<string, number>(CAPABILITIES.map((name, i) => [name, i]));

/** The 14 capabilities Docker (and podman) leave a default container. */
export const DOCKER_DEFAULT_CAPABILITIES: readonly CapabilityName[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

export const isCapabilityName = (name: string): name is CapabilityName => NUMBER_OF.has(name);

export function capabilityNumber(name: CapabilityName): number {
  return NUMBER_OF.get(name)!;
}

/**
 * A user's spelling (`net_admin`, `CAP_NET_ADMIN`, `Net_Admin`) as the canonical name, or undefined
 * when no capability has that name. `ALL` is not a capability: callers that accept it check first.
 */
export function canonicalCapability(input: string): CapabilityName | undefined {
  const upper = input.trim().toUpperCase();
  const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  return isCapabilityName(name) ? name : undefined;
}

let cachedLastCap: number | undefined;

/** The highest capability number the running kernel knows (40 on Linux >= 5.9). */
export function lastCapability(): number {
  if (cachedLastCap === undefined) {
    try {
      const n = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
      cachedLastCap = Number.isInteger(n) && n >= 0 ? n : CAPABILITIES.length - 1;
    } catch {
      cachedLastCap = CAPABILITIES.length - 1; // no /proc: assume the table matches the kernel
    }
  }
  return cachedLastCap;
}

let cachedHeld: bigint | undefined;

/**
 * The capabilities this process may pass on (its permitted set): capset(2) can only keep or drop, so
 * a container can be given no more than these. Root on a host or in a VM that withholds some (this
 * project's VMs withhold CAP_SYS_RESOURCE) holds fewer than the kernel knows.
 */
export function heldCapabilities(): bigint {
  if (cachedHeld === undefined) {
    try {
      const m = /^CapPrm:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
      cachedHeld = m ? BigInt(`0x${m[1]}`) : (1n << 64n) - 1n;
    } catch {
      cachedHeld = (1n << 64n) - 1n; // no /proc: assume everything, and let capset say otherwise
    }
  }
  return cachedHeld;
}

/** Every capability this kernel knows, in number order. */
export function allCapabilities(lastCap = lastCapability()): CapabilityName[] {
  return CAPABILITIES.slice(0, Math.min(lastCap, CAPABILITIES.length - 1) + 1);
}

/** A set of names as a bit mask; capabilities above lastCap are dropped (the kernel would refuse them). */
export function capabilityMask(names: Iterable<string>, lastCap = lastCapability()): bigint {
  let mask = 0n;
  for (const name of names) {
    const n = NUMBER_OF.get(name);
    if (n === undefined) throw new Error(`unknown capability "${name}"`);
    if (n <= lastCap) mask |= 1n << BigInt(n);
  }
  return mask;
}

/** The mask as capset(2)'s two 32-bit words (data[0] holds capabilities 0-31, data[1] 32-63). */
export function capabilityWords(mask: bigint): [number, number] {
  return [Number(mask & 0xffffffffn), Number((mask >> 32n) & 0xffffffffn)];
}

/** Names in a mask, in number order (for messages and tests). */
export function capabilityNames(mask: bigint): CapabilityName[] {
  return CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}
