# Hardening (issue 14): short runs of the protocol fuzzer and the start/rm soak (bench/hardening)
# that fail on any crash, hang, internal error, leftover or growth.
#   make test-lane-hardening  20,000 fuzz frames and a connect flood, 1,000 start/rm cycles, 1,000 failed
#                             execs and a 20,000-connection flood (test/hardening, one file at a time:
#                             long, heavy tests, each judged alone). Counts: test-results/hardening.counts.
#   npm run fuzz / npm run soak   the long versions (102,000 frames, 16,100 cycles), printing a table.
.PHONY: test-lane-hardening

test-lane-hardening: build rootfs
	node scripts/run-ava.mjs --lane hardening --config test/hardening/ava.config.mjs
