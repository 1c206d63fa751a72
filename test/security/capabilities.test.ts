// The capability table against the kernel's header, name parsing, and masks for the spawn plan.

import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { when } from '../support/skip.js';
import {
  CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES, allCapabilities, canonicalCapability, capabilityMask, capabilityNames,
  capabilityNumber, capabilityWords, lastCapability,
} from '../../src/security/capabilities.js';

const HEADER = '/usr/include/linux/capability.h';

when(test, existsSync(HEADER) ? null : 'no kernel headers')(`the table matches ${HEADER}`, (t) => {
  const defs = [...readFileSync(HEADER, 'utf8').matchAll(/^#define (CAP_[A-Z_]+)\s+(\d+)\s*$/gm)]
    .map((m) => [m[1], Number(m[2])] as const)
    .filter(([name]) => name !== 'CAP_LAST_CAP');
  t.true(defs.length >= 41);
  for (const [name, n] of defs) t.is(CAPABILITIES[n] as string, name, `${name} is ${n}`);
  t.is(CAPABILITIES.length, 41);
  t.is(capabilityNumber('CAP_CHECKPOINT_RESTORE'), 40);
});

test('names are accepted with or without CAP_, in any case; others are unknown', (t) => {
  t.is(canonicalCapability('net_admin'), 'CAP_NET_ADMIN');
  t.is(canonicalCapability('CAP_NET_ADMIN'), 'CAP_NET_ADMIN');
  t.is(canonicalCapability('Cap_Sys_Admin'), 'CAP_SYS_ADMIN');
  t.is(canonicalCapability(' chown '), 'CAP_CHOWN');
  t.is(canonicalCapability('FOO'), undefined);
  t.is(canonicalCapability('ALL'), undefined);
  t.is(canonicalCapability('CAP_'), undefined);
});

test("Docker's default 14", (t) => {
  t.is(DOCKER_DEFAULT_CAPABILITIES.length, 14);
  t.deepEqual(capabilityNames(capabilityMask(DOCKER_DEFAULT_CAPABILITIES)), [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP',
    'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP',
  ]);
  // The value every Docker user has seen in /proc/self/status as CapBnd.
  t.is(capabilityMask(DOCKER_DEFAULT_CAPABILITIES).toString(16).padStart(16, '0'), '00000000a80425fb');
});

test('masks: capabilities above the kernel\'s last are dropped; words split at bit 32', (t) => {
  const mask = capabilityMask(['CAP_CHOWN', 'CAP_SYSLOG', 'CAP_CHECKPOINT_RESTORE'], 40);
  t.is(mask, (1n << 0n) | (1n << 34n) | (1n << 40n));
  t.deepEqual(capabilityWords(mask), [1, (1 << 2) | (1 << 8)]);
  t.is(capabilityMask(['CAP_CHOWN', 'CAP_CHECKPOINT_RESTORE'], 37), 1n, 'an older kernel without 38-40');
  t.throws(() => capabilityMask(['CAP_FOO']), { message: 'unknown capability "CAP_FOO"' });
});

test("the running kernel's last capability bounds allCapabilities", (t) => {
  const last = lastCapability();
  t.is(last, Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')));
  t.is(allCapabilities().length, Math.min(last, 40) + 1);
  t.is(allCapabilities(37).at(-1), 'CAP_AUDIT_READ');
});
