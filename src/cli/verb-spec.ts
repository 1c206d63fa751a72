// A client verb described once, as data: its operands, its options (in commander's own flag
// syntax) and its action. Two readers use the one description:
// - commandFrom() builds the commander command: help, and every error message for bad input;
// - parsePlain() reads a plain, well-formed command line without loading commander at all, and
//   declines (null) anything it is not sure of, which then goes to commander.
// Why two: commander's load and set-up is about a tenth of a bare Node's start-up here, and every
// `engine ps` pays Node's start-up (docs/cli.md). test/unit/verb-spec.test.ts holds the two to
// the same answers: parsePlain either agrees with commander or declines.

import type { Command } from 'commander';

export interface OptionSpec {
  /** commander's flag syntax: '-u, --user <user>', '--rm', '--no-stdin' */
  flags: string;
  description: string;
  default?: string;
  /** every occurrence is kept, in order (default: an empty list) */
  repeat?: boolean;
  choices?: readonly string[];
}

export interface OperandSpec {
  name: string;
  description: string;
  /** the last operand only: every remaining word */
  variadic?: boolean;
}

export interface VerbSpec {
  name: string;
  description: string;
  operands: OperandSpec[];
  options: OptionSpec[];
  /** shown after the options in --help */
  helpAfter?: string;
  /** called as commander calls an action: each operand (the variadic one as a list), then the options */
  action(...args: any[]): Promise<void>;
}

/** Every client verb's --socket. */
export const SOCKET_OPTION: OptionSpec = { flags: '--socket <path>', description: 'supervisor socket (default: $ENGINE_SOCKET or /tmp/mini_runtime.sock)' };

/** The spellings of the options that take a value ('-u', '--user', ...): what a verb's argv
 *  pre-split needs to know to keep a value with its flag. */
export function valueFlags(options: OptionSpec[]): string[] {
  return options.map((o) => parseFlags(o.flags)).filter((f) => f.takesValue).flatMap((f) => (f.short ? [`-${f.short}`, `--${f.long}`] : [`--${f.long}`]));
}

interface ParsedFlags {
  short?: string;
  long: string;
  /** the key commander stores the value under (camelCase, without a leading no-) */
  key: string;
  takesValue: boolean;
  negated: boolean;
}

function parseFlags(flags: string): ParsedFlags {
  const m = /^(?:-([A-Za-z]), )?--([a-z][a-z0-9-]*)(?: <[^>]+>)?$/.exec(flags);
  if (!m) throw new Error(`verb-spec: flags commander would read differently: ${flags}`);
  const negated = m[2].startsWith('no-');
  const name = negated ? m[2].slice(3) : m[2];
  return { short: m[1], long: m[2], key: name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()), takesValue: flags.endsWith('>'), negated };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The commander command for the spec, on `program`. */
export function commandFrom(program: Command, spec: VerbSpec): Command {
  const cmd = program.command(spec.name).description(spec.description);
  for (const o of spec.operands) cmd.argument(o.variadic ? `<${o.name}...>` : `<${o.name}>`, o.description);
  for (const o of spec.options) {
    const option = program.createOption(o.flags, o.description);
    if (o.choices) option.choices(o.choices);
    if (o.repeat) option.argParser(collect).default([]);
    else if (o.default !== undefined) option.default(o.default);
    cmd.addOption(option);
  }
  if (spec.helpAfter) cmd.addHelpText('after', spec.helpAfter);
  return cmd.action((...args: unknown[]) => spec.action(...args.slice(0, spec.operands.length + 1)));
}

/**
 * The action's arguments for a plain command line, as commander would pass them, or null for
 * anything else (help, an unknown or malformed option, a missing value, a value outside its
 * choices, the wrong number of operands): commander then reads it and says what is wrong.
 */
export function parsePlain(spec: VerbSpec, args: string[]): unknown[] | null {
  const options = spec.options.map((o) => ({ spec: o, flags: parseFlags(o.flags) }));
  const values: Record<string, unknown> = {};
  for (const { spec: o, flags } of options) {
    if (o.repeat) values[flags.key] = [];
    else if (o.default !== undefined) values[flags.key] = o.default;
    else if (flags.negated) values[flags.key] = true;
  }
  const set = (option: (typeof options)[number], value: string | undefined): boolean => {
    const { spec: o, flags } = option;
    if (!flags.takesValue) {
      values[flags.key] = !flags.negated;
      return true;
    }
    if (value === undefined || (o.choices && !o.choices.includes(value))) return false;
    values[flags.key] = o.repeat ? [...(values[flags.key] as string[]), value] : value;
    return true;
  };
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const long = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const option = options.find((o) => o.flags.long === long);
      if (!option) return null;
      if (eq > 0 && !option.flags.takesValue) return null;
      const value = !option.flags.takesValue ? undefined : eq > 0 ? a.slice(eq + 1) : args[++i];
      if (!set(option, value)) return null;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // -x, -xVALUE, -x VALUE, and switches together (-it), as commander reads them
      for (let j = 1; j < a.length; j++) {
        const option = options.find((o) => o.flags.short === a[j]);
        if (!option) return null;
        if (!option.flags.takesValue) {
          set(option, undefined);
          continue;
        }
        if (!set(option, j + 1 < a.length ? a.slice(j + 1) : args[++i])) return null;
        break;
      }
      continue;
    }
    operands.push(a);
  }
  const fixed = spec.operands.filter((o) => !o.variadic).length;
  const variadic = spec.operands.some((o) => o.variadic);
  if (variadic ? operands.length <= fixed : operands.length !== fixed) return null;
  const out: unknown[] = operands.slice(0, fixed);
  if (variadic) out.push(operands.slice(fixed));
  out.push(values);
  return out;
}
