# Root-free tests (test/unit): the supervisor's lifecycle through a recording runtime, protocol,
# exit statuses, log ring and reader, scheduler maths, workloads on the host.
#   npm run test:unit      as the current user (no root needed), in well under 30 s
#   make test-lane-unit-user  the same as an unprivileged user (nobody) when run as root, so that
#                          `make test` proves the unit tests need no privilege
# Both run the files as plain JavaScript (test/unit/ava.config.mjs), transpiled to dist/test/unit
# by `make unit-tests`; make test's main ava lane runs the same .ts files through tsx.
.PHONY: unit-tests test-lane-unit-user

# Every test source (test/unit imports test-only modules elsewhere in test/), and the directories
# of test/unit, whose times change when a file is added or removed.
UNIT_TEST_INPUTS := $(shell find test -name "*.ts" 2>/dev/null) $(shell find test/unit -type d 2>/dev/null)
unit-tests: dist/test/unit/.stamp
dist/test/unit/.stamp: $(UNIT_TEST_INPUTS) dist/.stamp scripts/build-unit-tests.mjs
	node scripts/build-unit-tests.mjs
	@touch $@

test-lane-unit-user: build unit-tests
	@scripts/unit-as-user.sh
