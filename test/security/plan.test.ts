// The security plan the spawn path receives: masks, BPF, rlimits as uint64, ids.

import test from 'ava';
import { buildSpec } from '../../src/spec/from-flags.js';
import { securityPlan } from '../../src/security/plan.js';
import { parseConfig } from '../../src/spec/validate.js';
import { BARE_HOST, minimalConfig } from '../spec/helpers.js';

const build = (flags = {}) => buildSpec({ args: ['/bin/true'], hostname: 'p', ...flags }, '/nonexistent-rootfs', { host: BARE_HOST, lastCap: 40, heldCapabilities: (1n << 41n) - 1n });

test('the default container: Docker\'s masks, the filter, root with no groups', (t) => {
  const p = securityPlan(build(), 40);
  for (const set of ['bounding', 'effective', 'permitted'] as const) t.is(p.capabilities[set], 0xa80425fbn, set);
  t.is(p.capabilities.inheritable, 0n);
  t.is(p.capabilities.ambient, 0n);
  t.deepEqual(p.capabilityWords.bounding, [0xa80425fb, 0]);
  t.true(p.boundingDrop.includes(21), 'CAP_SYS_ADMIN is dropped from the bounding set');
  t.false(p.boundingDrop.includes(0));
  t.is(p.boundingDrop.length, 41 - 14);
  t.false(p.noNewPrivileges);
  t.true(p.seccomp!.program.length > 0);
  t.is(p.seccomp!.flags, 0);
  t.deepEqual([p.uid, p.gid, p.additionalGids, p.rlimits], [0, 0, [], []]);
});

test('rlimits carry Linux resource numbers and uint64 values (RLIM_INFINITY is 2^64-1)', (t) => {
  const p = securityPlan(build({ ulimit: ['nofile=1024:2048', 'core=-1'] }), 40);
  t.deepEqual(p.rlimits, [{ resource: 7, soft: 1024n, hard: 2048n }, { resource: 4, soft: 0xffffffffffffffffn, hard: 0xffffffffffffffffn }]);
});

test('privileged: no filter, nothing dropped; an older kernel: masks cut at its last capability', (t) => {
  const priv = securityPlan(build({ privileged: true, securityOpt: ['no-new-privileges'] }), 40);
  t.is(priv.seccomp, null);
  t.deepEqual(priv.boundingDrop, []);
  t.is(priv.capabilities.bounding, (1n << 41n) - 1n);
  t.true(priv.noNewPrivileges);
  const old = securityPlan(build({ privileged: true }), 37);
  t.is(old.capabilities.bounding, (1n << 38n) - 1n);
  t.deepEqual(old.capabilityWords.bounding, [0xffffffff, 0x3f]);
});

test('ambient capabilities that cannot be raised are left out (runc warns and goes on)', (t) => {
  const c = minimalConfig();
  c.process.capabilities = { permitted: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_RAW'] };
  c.process.user = { uid: 1000, gid: 1000, additionalGids: [5, 6], umask: 0o27 };
  c.process.oomScoreAdj = 500;
  const p = securityPlan(parseConfig(c, BARE_HOST), 40);
  t.is(p.capabilities.ambient, 1n << 5n, 'only CAP_KILL');
  t.deepEqual([p.uid, p.gid, p.additionalGids, p.umask, p.oomScoreAdj], [1000, 1000, [5, 6], 0o27, 500]);
  t.is(p.seccomp, null);
});
