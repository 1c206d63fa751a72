#!/usr/bin/env bash
# The root-free tests as an unprivileged user (nobody), so `make test` shows they need no root.
# Skips with its reason when not root (the ava lane already ran them as this user) or when the
# checkout cannot be read by nobody (a clone under a 0700 home directory).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
skip() { echo "# SKIP unit-user: $1"; echo "0 0 1" > test-results/unit-user.counts; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "not root: the ava lane ran test/unit as $(id -un) already"
setpriv --reuid=65534 --regid=65534 --clear-groups test -r package.json -a -x node_modules/.bin/ava 2>/dev/null \
  || skip "the checkout at $PWD is not readable by an unprivileged user"
exec node scripts/run-ava.mjs --lane unit-user --as-user 65534 --config test/unit/ava.config.mjs
