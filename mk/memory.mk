# Memory enforcement (issue 5): cgroup v2 and kernel-module paths in the QEMU guest.
#   make vm-test        boot the packaged kernel under QEMU/TCG with the host's / (vm/boot.sh --hostroot),
#                       mount cgroup2 alone and run the cgroup enforcer and end-to-end tests on it, then
#                       insmod monitor.ko and run the module enforcer and end-to-end tests; judge the log.
#                       Log: vm/out/memory.log. Counts: test-results/vm.counts.
#   make test-lane-vm   the same, as a lane of `make test`.
#   make bench-memory   npm run bench:memory on the host (bench/results/memory.{json,md})
#   make bench-memory-vm  the same inside the QEMU guest (cgroup v2 and the module); its rows join memory.md
.PHONY: vm-test vm-test-memory test-lane-vm

vm-test: vm-test-memory

vm-test-memory test-lane-vm: build rootfs module
	test/vm-memory/lane.sh

# npm run bench:memory on the host, then the same in the QEMU guest (cgroup v2, module); one table.
.PHONY: bench-memory bench-memory-vm
bench-memory: build
	npm run --silent bench:memory

bench-memory-vm: build rootfs module
	test/vm-memory/bench.sh
