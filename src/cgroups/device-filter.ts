// linux.resources.devices as a cgroup v2 device program. cgroup v2 has no devices.allow/deny: a
// BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup is asked about every open and mknod
// of a device node, and returns 1 (allow) or 0 (deny). The rules keep v1's meaning: the last rule
// that matches decides, so the program checks them from last to first and returns at the first
// match; nothing matching is a denial (a spec starts with a deny-all rule anyway).
//
// The program reads struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, where
// access_type is (access << 16) | type: type 1 block, 2 char; access 1 mknod, 2 read, 4 write.

import type { DeviceRule } from '../spec/config.js';

// instruction classes and operations (linux/bpf_common.h, linux/bpf.h)
const LDX_MEM_W = 0x61; // r_dst = *(u32 *)(r_src + off)
const ALU64_AND_K = 0x57;
const ALU64_RSH_K = 0x77;
const ALU64_MOV_K = 0xb7;
const ALU64_MOV_X = 0xbf;
const JNE_K = 0x55; // if r_dst != imm: pc += off
const JNE_X = 0x5d; // if r_dst != r_src: pc += off
const EXIT = 0x95;

const TYPE: Record<string, number> = { b: 1, c: 2 };
const ACCESS: Record<string, number> = { m: 1, r: 2, w: 4 };
const ALL_ACCESS = 7;

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

/** r2 = type, r3 = access, r4 = major, r5 = minor (r1, the context, is free afterwards). */
const PROLOGUE: Insn[] = [
  insn(LDX_MEM_W, 2, 1, 0, 0),
  insn(ALU64_AND_K, 2, 0, 0, 0xffff),
  insn(LDX_MEM_W, 3, 1, 0, 0),
  insn(ALU64_RSH_K, 3, 0, 0, 16),
  insn(LDX_MEM_W, 4, 1, 4, 0),
  insn(LDX_MEM_W, 5, 1, 8, 0),
];

function accessMask(access: string | undefined): number {
  if (!access) return ALL_ACCESS;
  let mask = 0;
  for (const ch of access) {
    const bit = ACCESS[ch];
    if (!bit) throw new Error(`device rule access "${access}": only r, w and m`);
    mask |= bit;
  }
  return mask;
}

/** One rule: its conditions jump past the block when they do not hold; the end returns the verdict. */
function ruleBlock(rule: DeviceRule): Insn[] {
  const checks: Insn[][] = [];
  const type = rule.type ?? 'a';
  if (type !== 'a') {
    if (!TYPE[type]) throw new Error(`device rule type "${type}": only a, b and c`);
    checks.push([insn(JNE_K, 2, 0, 0, TYPE[type])]);
  }
  const mask = accessMask(rule.access);
  // the access asked for must lie within the rule's
  if (mask !== ALL_ACCESS) checks.push([insn(ALU64_MOV_X, 1, 3, 0, 0), insn(ALU64_AND_K, 1, 0, 0, mask), insn(JNE_X, 1, 3, 0, 0)]);
  if (rule.major !== undefined && rule.major >= 0) checks.push([insn(JNE_K, 4, 0, 0, rule.major)]);
  if (rule.minor !== undefined && rule.minor >= 0) checks.push([insn(JNE_K, 5, 0, 0, rule.minor)]);
  const verdict = [insn(ALU64_MOV_K, 0, 0, 0, rule.allow ? 1 : 0), insn(EXIT, 0, 0, 0, 0)];
  const body = checks.flat();
  // each conditional jump skips to the first instruction after this block
  body.forEach((ins, i) => {
    if (ins.code === JNE_K || ins.code === JNE_X) ins.off = body.length - i - 1 + verdict.length;
  });
  return [...body, ...verdict];
}

/** The program's instructions, 8 bytes each, as bpf(BPF_PROG_LOAD) takes them. */
export function deviceFilterProgram(rules: readonly DeviceRule[]): Buffer {
  const insns = [...PROLOGUE];
  let decided = false;
  for (const rule of [...rules].reverse()) {
    const block = ruleBlock(rule);
    insns.push(...block);
    // A rule on every device decides every request: what follows would be unreachable, which the
    // verifier refuses.
    if (block.length === 2) {
      decided = true;
      break;
    }
  }
  if (!decided) insns.push(insn(ALU64_MOV_K, 0, 0, 0, 0), insn(EXIT, 0, 0, 0, 0));
  const out = Buffer.alloc(insns.length * 8);
  insns.forEach((ins, i) => {
    out.writeUInt8(ins.code, i * 8);
    out.writeUInt8((ins.src << 4) | ins.dst, i * 8 + 1);
    out.writeInt16LE(ins.off, i * 8 + 2);
    out.writeInt32LE(ins.imm, i * 8 + 4);
  });
  return out;
}
