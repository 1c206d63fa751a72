# Security (issue 11): the seccomp test helper, a static C program built into test/security/bin/.
#   make security-test-helpers   test/security/bin/seccomp-exec (installs a BPF file, then execs)
SECURITY_TEST_BIN := test/security/bin

.PHONY: security-test-helpers
security-test-helpers: $(SECURITY_TEST_BIN)/seccomp-exec

$(SECURITY_TEST_BIN)/seccomp-exec: test/security/seccomp-exec.c mk/security.mk
	@mkdir -p $(SECURITY_TEST_BIN)
	$(WORKLOAD_CC) $(WORKLOAD_CFLAGS) -o $@.tmp.$$$$ $< && mv -f $@.tmp.$$$$ $@

# What the security path costs: import of the validator, libseccomp compile, parse/build/plan.
.PHONY: bench-security
bench-security: build
	npm run --silent bench:security
