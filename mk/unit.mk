# Root-free tests (test/unit): the supervisor's lifecycle through a recording runtime, protocol,
# exit statuses, log ring and reader, scheduler maths, workloads on the host.
#   npm run test:unit      as the current user (no root needed), in well under 30 s
#   make test-lane-unit-user  the same as an unprivileged user (nobody) when run as root, so that
#                          `make test` proves the unit tests need no privilege
.PHONY: test-lane-unit-user

test-lane-unit-user: build
	@scripts/unit-as-user.sh
