// --user resolution against the container's own /etc/passwd and /etc/group (never the host's),
// with Docker's rules: a name must exist; a numeric uid need not, and then its group is 0; the
// primary group comes from passwd unless given; HOME comes from passwd, else "/".

import { readRootfsFile } from './rootfs-file.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Docker refuses ids above 2^31-1 (they are negative to too many programs). */
const MAX_ID = 2 ** 31 - 1;

const isNumeric = (s: string) => /^\d+$/.test(s);

function parseId(s: string, what: string, flag: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n > MAX_ID) throw new Error(`${flag}: ${what} ${s} is out of range (0-${MAX_ID})`);
  return n;
}

/** Lines of name:...:... files; malformed lines are skipped, as libc does. */
function entries(text: string | undefined, minFields: number): string[][] {
  if (!text) return [];
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'))
    .filter((f) => f.length >= minFields && isNumeric(f[2]));
}

function readFile(rootfs: string, file: string, flag: string): string | undefined {
  try {
    return readRootfsFile(rootfs, file);
  } catch (e) {
    throw new Error(`${flag}: cannot read the rootfs's ${file}: ${(e as Error).message}`);
  }
}

/** Resolves `--user USER[:GROUP]` (names or numbers) against the rootfs at `rootfs`. */
export function resolveUser(spec: string, rootfs: string, flag = '--user'): ResolvedUser {
  const colon = spec.indexOf(':');
  const user = colon >= 0 ? spec.slice(0, colon) : spec;
  const group = colon >= 0 ? spec.slice(colon + 1) : undefined;
  if (user === '') throw new Error(`${flag}: missing user in ${JSON.stringify(spec)}`);
  if (group === '') throw new Error(`${flag}: missing group after ":" in ${JSON.stringify(spec)}`);

  const passwd: PasswdEntry[] = entries(readFile(rootfs, '/etc/passwd', flag), 6).map((f) => ({
    name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/',
  }));
  let entry: PasswdEntry | undefined;
  let uid: number;
  if (isNumeric(user)) {
    uid = parseId(user, 'uid', flag);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === user);
    if (!entry) throw new Error(`${flag}: no user ${JSON.stringify(user)} in the rootfs's /etc/passwd`);
    uid = entry.uid;
  }

  let gid = entry?.gid ?? 0;
  if (group !== undefined) {
    if (isNumeric(group)) {
      gid = parseId(group, 'gid', flag);
    } else {
      const g = entries(readFile(rootfs, '/etc/group', flag), 3).find((f) => f[0] === group);
      if (!g) throw new Error(`${flag}: no group ${JSON.stringify(group)} in the rootfs's /etc/group`);
      gid = Number(g[2]);
    }
  }
  if (gid > MAX_ID) throw new Error(`${flag}: gid ${gid} is out of range (0-${MAX_ID})`);
  return { uid, gid, home: entry?.home ?? '/' };
}
