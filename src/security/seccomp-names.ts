// The names the OCI runtime-spec and Docker's profiles use for seccomp, and their libseccomp values.
//
// Why here and not in the addon: validation must name the bad value and its JSON path, and the
// native side should only execute. The numbers are libseccomp's stable ABI (seccomp.h: SCMP_ACT_*,
// enum scmp_compare) and the kernel's (SECCOMP_FILTER_FLAG_*); architecture names go to the addon as
// libseccomp's own spelling ("x86_64"), which it resolves itself.

export const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
] as const;
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];

export const SECCOMP_ARCHES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
] as const;
export type SeccompArch = (typeof SECCOMP_ARCHES)[number];

export const SECCOMP_OPS = [
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
] as const;
export type SeccompOp = (typeof SECCOMP_OPS)[number];

export const SECCOMP_FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
] as const;
export type SeccompFlag = (typeof SECCOMP_FLAGS)[number];

const FLAG_BITS: Record<SeccompFlag, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

/** seccomp(2) allows at most 6 arguments. */
export const SECCOMP_MAX_ARG_INDEX = 5;
/** errno values above this are not errors to libc (MAX_ERRNO). */
export const MAX_ERRNO = 4095;
export const EPERM = 1;

export const isSeccompAction = (s: string): s is SeccompAction => (SECCOMP_ACTIONS as readonly string[]).includes(s);
export const isSeccompArch = (s: string): s is SeccompArch => (SECCOMP_ARCHES as readonly string[]).includes(s);
export const isSeccompOp = (s: string): s is SeccompOp => (SECCOMP_OPS as readonly string[]).includes(s);
export const isSeccompFlag = (s: string): s is SeccompFlag => (SECCOMP_FLAGS as readonly string[]).includes(s);

/** Actions that carry a return value (errnoRet): the errno for ERRNO, the tracer's data for TRACE. */
export const actionTakesErrno = (a: SeccompAction) => a === 'SCMP_ACT_ERRNO' || a === 'SCMP_ACT_TRACE';

/**
 * libseccomp's action value. ERRNO and TRACE without an errnoRet return EPERM, as runc does.
 */
export function actionValue(action: SeccompAction, errnoRet?: number): number {
  const ret = (errnoRet ?? EPERM) & 0xffff;
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return 0x00000000;
    case 'SCMP_ACT_KILL_PROCESS':
      return 0x80000000;
    case 'SCMP_ACT_TRAP':
      return 0x00030000;
    case 'SCMP_ACT_ERRNO':
      return (0x00050000 | ret) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (0x7ff00000 | ret) >>> 0;
    case 'SCMP_ACT_LOG':
      return 0x7ffc0000;
    case 'SCMP_ACT_ALLOW':
      return 0x7fff0000;
    case 'SCMP_ACT_NOTIFY':
      return 0x7fc00000;
  }
}

/** libseccomp's enum scmp_compare. */
export const opValue = (op: SeccompOp): number => SECCOMP_OPS.indexOf(op) + 1;

/** libseccomp's name for an architecture ("SCMP_ARCH_X86_64" -> "x86_64"), for seccomp_arch_resolve_name. */
export const libseccompArchName = (arch: SeccompArch): string => arch.slice('SCMP_ARCH_'.length).toLowerCase();

/** The flags word for seccomp(SECCOMP_SET_MODE_FILTER, flags, prog). */
export function filterFlagBits(flags: readonly SeccompFlag[] | undefined): number {
  let bits = 0;
  for (const f of flags ?? []) bits |= FLAG_BITS[f];
  return bits;
}

/** The architecture this process runs on, as the spec names it (for Docker's archMap). */
export function nativeSeccompArch(arch: string = process.arch): SeccompArch {
  switch (arch) {
    case 'x64': return 'SCMP_ARCH_X86_64';
    case 'ia32': return 'SCMP_ARCH_X86';
    case 'arm64': return 'SCMP_ARCH_AARCH64';
    case 'arm': return 'SCMP_ARCH_ARM';
    case 'ppc64': return 'SCMP_ARCH_PPC64LE';
    case 's390x': return 'SCMP_ARCH_S390X';
    case 'riscv64': return 'SCMP_ARCH_RISCV64';
    case 'mips64el': return 'SCMP_ARCH_MIPSEL64';
    case 'mipsel': return 'SCMP_ARCH_MIPSEL';
    default: throw new Error(`seccomp: unsupported architecture ${arch}`);
  }
}
