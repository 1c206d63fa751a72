// Runtime validation of requests (supervisor side). zod gives one declarative definition per
// verb and a precise message for the first problem found.

import { z } from 'zod';
import { EngineError, invalid } from '../errors.js';

export const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
export const ID_RULE = '1 to 64 characters of [A-Za-z0-9_.-], not starting with "." or "-"';

const id = z
  .string({ required_error: 'id is required', invalid_type_error: 'id must be a string' })
  .refine((s) => ID_PATTERN.test(s), (s) => ({ message: `invalid id ${JSON.stringify(s.slice(0, 80))}: ${ID_RULE}` }));

const mib = (name: string) =>
  z
    .number({ invalid_type_error: `--${name} must be a number` })
    .int(`--${name} must be a positive whole number of MiB`)
    .positive(`--${name} must be a positive whole number of MiB`)
    .max(1024 * 1024, `--${name} must be at most 1048576 MiB`);

/** Limits on text fields, named with the field in every message (never the validator's words). */
export const LIMITS = { path: 4096, word: 128 * 1024, words: 4096, flagValue: 4096, flagValues: 256, cpus: 1024, user: 512 } as const;

const text = (field: string, max: number) =>
  z.string({ required_error: `${field} is required`, invalid_type_error: `${field} must be text` }).max(max, `${field} is too long: at most ${max} characters`);

const tty = z
  .object({
    rows: z.number().int().min(0).max(65535, '-t: rows must be at most 65535'),
    cols: z.number().int().min(0).max(65535, '-t: columns must be at most 65535'),
    term: z.string().max(256).regex(/^[^\0=\n]*$/, '-t: TERM must be a plain word').optional(),
  })
  .strict();

const words = (flag: string) =>
  z
    .array(z.string({ invalid_type_error: `${flag} takes text` }).max(LIMITS.flagValue, `${flag}: a value is too long (at most ${LIMITS.flagValue} characters)`), { invalid_type_error: `${flag} must be a list` })
    .max(LIMITS.flagValues, `${flag}: too many values (at most ${LIMITS.flagValues})`);

const commandWord = z
  .string({ invalid_type_error: 'command words must be text' })
  .superRefine((w, ctx) => {
    if (w.length > LIMITS.word) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `a command word of ${w.length} characters is too long: at most ${LIMITS.word} (128 KiB)` });
    if (w.includes('\0')) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'command words cannot contain NUL bytes' });
  });

export const startSchema = z
  .object({
    verb: z.enum(['start', 'run']),
    id,
    rootfs: text('rootfs', LIMITS.path).min(1, 'rootfs is required'),
    command: z
      .array(commandWord, { required_error: 'a command is required', invalid_type_error: 'command must be a list of words' })
      .min(1, 'a command is required')
      .max(LIMITS.words, `too many command words: at most ${LIMITS.words}`)
      .refine((c) => c.length === 0 || c[0].trim() !== '', 'the command is empty: give the program to run (e.g. /bin/sh)'),
    softMib: mib('soft-mib').default(40),
    hardMib: mib('hard-mib').default(64),
    nice: z
      .number({ invalid_type_error: '--nice must be a number' })
      .int('--nice must be a whole number')
      .min(-20, '--nice must be between -20 and 19')
      .max(19, '--nice must be between -20 and 19')
      .default(0),
    cpus: text('--cpus', LIMITS.cpus).optional(),
    logMode: z.enum(['blocking', 'non-blocking']).default('blocking'),
    logBufferMib: mib('log-buffer-mib').optional(),
    logMaxMib: mib('log-max-mib').optional(),
    capAdd: words('--cap-add').optional(),
    capDrop: words('--cap-drop').optional(),
    privileged: z.boolean().optional(),
    securityOpt: words('--security-opt').optional(),
    network: text('--network', LIMITS.path).optional(),
    device: words('--device').optional(),
    pidsLimit: z.number({ invalid_type_error: '--pids-limit must be a number' }).int('--pids-limit must be a whole number').optional(),
    ulimit: words('--ulimit').optional(),
    user: text('--user', LIMITS.user).optional(),
    readOnly: z.boolean().optional(),
    env: z.array(z.string({ invalid_type_error: '--env takes text' }).max(128 * 1024, '--env: a value is too long'), { invalid_type_error: '--env must be a list' }).max(4096, '--env: too many values').optional(),
    workdir: z.string().max(4096, '--workdir is too long').optional(),
    volume: words('--volume').optional(),
    tmpfs: words('--tmpfs').optional(),
    hostname: z.string().max(4096).optional(),
    rm: z.boolean().optional(),
    overlay: z.boolean().optional(),
    interactive: z.boolean().optional(),
    tty: tty.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.softMib > r.hardMib) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `--soft-mib (${r.softMib}) must not be greater than --hard-mib (${r.hardMib})` });
    }
    if (r.logBufferMib !== undefined && r.logMode !== 'non-blocking') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: '--log-buffer-mib only applies with --log-mode non-blocking' });
    }
  });

export const execSchema = z
  .object({
    verb: z.literal('exec'),
    id,
    command: z
      .array(z.string().max(128 * 1024).refine((s) => !s.includes('\0'), 'command words cannot contain NUL bytes'))
      .min(1, 'exec needs a command')
      .max(4096, 'too many command words'),
    interactive: z.boolean().optional(),
    tty: tty.optional(),
    env: z.array(z.string().max(128 * 1024).regex(/^[^=\0]+=[^\0]*$/, '-e takes KEY=VALUE')).max(1024, '-e: too many values').optional(),
    workdir: z.string().max(4096).regex(/^\//, '-w must be an absolute path inside the container').optional(),
    user: z.string().max(512).optional(),
  })
  .strict();

export const requestSchema = z.union([
  startSchema,
  execSchema,
  z.object({ verb: z.literal('top'), id }).strict(),
  z.object({ verb: z.literal('attach'), id, stdin: z.boolean().optional() }).strict(),
  z.object({ verb: z.literal('ps') }).strict(),
  z.object({ verb: z.literal('ping') }).strict(),
  z.object({ verb: z.literal('info'), resetLoopDelay: z.boolean().optional() }).strict(),
  z.object({ verb: z.literal('inspect'), id, spec: z.boolean().optional() }).strict(),
  z.object({ verb: z.literal('rm'), id }).strict(),
  z
    .object({
      verb: z.literal('stop'),
      id,
      timeoutMs: z.number().int().min(0, '--time must not be negative').max(3_600_000, '--time is at most 3600 seconds').optional(),
    })
    .strict(),
  z
    .object({
      verb: z.literal('logs'),
      id,
      follow: z.boolean().optional(),
      tail: z.number().int().min(0, '--tail must be a number of lines, 0 or more').optional(),
    })
    .strict(),
]);

export type ValidStart = z.infer<typeof startSchema>;
export type ValidExec = z.infer<typeof execSchema>;
export type ValidRequest = z.infer<typeof requestSchema>;

const VERBS = new Set(['start', 'run', 'ps', 'ping', 'info', 'inspect', 'rm', 'stop', 'logs', 'exec', 'top', 'attach']);

/** Returns the valid request, or throws an EngineError with one clear line: bad_request when it is
 *  not a request at all, invalid_argument when a field fails validation. */
export function parseRequest(message: unknown): ValidRequest {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) throw new EngineError('bad_request', 'request must be a JSON object');
  const verb = (message as { verb?: unknown }).verb;
  if (typeof verb !== 'string' || !VERBS.has(verb)) throw new EngineError('bad_request', `unknown verb ${shortly(verb)}`);
  // Validate against the one schema for this verb, so the message is about the right fields.
  const schema = requestSchema.options.find((s) => {
    const shape = 'shape' in s ? s.shape : s._def.schema.shape;
    const v = shape.verb;
    return v instanceof z.ZodLiteral ? v.value === verb : (v as z.ZodEnum<[string, ...string[]]>).options.includes(verb);
  })!;
  const result = schema.safeParse(message);
  if (result.success) return result.data as ValidRequest;
  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys') throw invalid(`unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.slice(0, 5).map((k) => (k.length > 40 ? shortly(k) : k)).join(', ')}${issue.keys.length > 5 ? ', ...' : ''}`);
  throw invalid(issueMessage(issue));
}

/** The message of an issue, in the project's words: the field's name, and the limit when one is crossed. */
function issueMessage(issue: z.ZodIssue): string {
  const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[') || 'request';
  // Messages written in this file name their field already; zod's own defaults do not.
  const own = !/^(Required|Expected|Invalid|String must|Number must|Array must|Too (big|small))/.test(issue.message);
  if (own) return issue.message;
  if (issue.code === 'too_big') return `${field} is too ${issue.type === 'string' ? 'long' : issue.type === 'array' ? 'long a list' : 'big'}: at most ${issue.maximum}`;
  if (issue.code === 'too_small') return `${field} is too ${issue.type === 'string' ? 'short' : issue.type === 'array' ? 'short a list' : 'small'}: at least ${issue.minimum}`;
  return `${field}: ${issue.message.toLowerCase()}`;
}

/** A value a client sent, for a message: a short quote of a string, the type of anything else
 *  (never the value itself: it may be megabytes, or nested deeper than JSON.stringify can go). */
export function shortly(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? '(a list)' : `(${typeof v === 'object' ? 'an object' : typeof v})`;
}
