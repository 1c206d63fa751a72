# Workloads: static C programs copied into container rootfs (see workloads/*.c for usage).
#   make workloads   builds workloads/bin/{memory_hog,cpu_hog,io_pulse,probe,pause}
# Each binary is written to a temporary name and renamed, so concurrent builds (tests) never
# see a half-written file.
WORKLOAD_NAMES := memory_hog cpu_hog io_pulse probe pause
WORKLOAD_BINS := $(addprefix workloads/bin/,$(WORKLOAD_NAMES))
WORKLOAD_CC ?= gcc
WORKLOAD_CFLAGS ?= -static -O2 -Wall -Wextra

workloads: $(WORKLOAD_BINS)

workloads/bin/%: workloads/%.c mk/workloads.mk | workloads/bin
	$(WORKLOAD_CC) $(WORKLOAD_CFLAGS) -o $@.tmp.$$$$ $< && mv -f $@.tmp.$$$$ $@

workloads/bin:
	mkdir -p $@

.PHONY: workloads-clean
workloads-clean:
	rm -rf workloads/bin
