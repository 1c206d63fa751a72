# Kernel memory monitor (issue 4): monitor.ko and its QEMU lane. See module/README.md and vm/README.md.
#   make module            build module/monitor.ko (KVER/KDIR pinned by module/Makefile; override with KVER=...)
#   make module-test       the lane: install Debian packages if missing, build the module against the packaged
#                          kernel, build the static probe and an initramfs, boot under QEMU/TCG, judge the log.
#                          Exit 0 only on PASS; the serial log stays in vm/out/module.log.
#   make module-selftest   the harness must fail a broken module, an oopsing module, a crashing init, a hung guest
#   make test-lane-module  both, writing test-results/module.counts (run by `make test`)
.PHONY: module module-test module-selftest test-lane-module module-clean

module:
	$(MAKE) --no-print-directory -C module

module-test:
	vm/module-lane.sh test

module-selftest:
	vm/module-lane.sh selftest

test-lane-module:
	vm/module-lane.sh lane

module-clean:
	-$(MAKE) --no-print-directory -C module clean
	rm -rf vm/out
