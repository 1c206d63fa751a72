# engine: one entry point for set-up, build, demo and tests.
#   make        install what is missing, build TypeScript, the addon and the workloads, make ./rootfs-base
#   make demo   all of the above, then a narrated tour (scripts/demo.sh)
#   make test   the whole suite; the last line printed is "N passed, N failed[, N skipped]"
# Each concern with its own targets keeps them in mk/<concern>.mk.

SHELL := /bin/bash
.DEFAULT_GOAL := all
# Fragments first: their variables (WORKLOAD_BINS) are used in prerequisites below.
include $(wildcard mk/*.mk)
NODE_MODULES_STAMP := node_modules/.package-lock.json
TS_SOURCES := $(shell find src workers bench test/support -name "*.ts" 2>/dev/null) $(shell find test -name "*.worker.ts" 2>/dev/null)
ADDON := native/build/Release/engine_native.node
# The container's first program (native/init): static, so it needs nothing from the container.
INIT := native/bin/engine-init
# ./engine-oci's target: a static C launcher that does a plain `start` itself and execs Node on
# bin/engine-oci.cjs for everything else (native/oci-launcher/engine-oci.c, docs/oci.md).
OCI_LAUNCHER := native/bin/engine-oci

.PHONY: all deps debs build ts typecheck native init oci-launcher workloads rootfs demo test test-unit clean

all: build rootfs

deps: $(NODE_MODULES_STAMP) debs

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Debian packages the runtime itself needs (module and VM lanes add their own in mk/):
# libseccomp-dev builds the addon's seccomp compiler, libseccomp2 runs it.
debs:
	@scripts/ensure-debs.sh busybox-static libseccomp-dev libseccomp2

build: deps ts native init oci-launcher workloads

ts: dist/.stamp
dist/.stamp: $(TS_SOURCES) tsconfig.json $(NODE_MODULES_STAMP) scripts/bundle-cli.mjs
	npx tsc -p tsconfig.json
	node scripts/bundle-cli.mjs
	@touch $@

# The tests type-check too (they run through tsx, which does not check types).
typecheck: ts
	npx tsc -p test/tsconfig.json

native: $(ADDON)
$(ADDON): $(wildcard native/src/*.cc native/src/*.h) native/init/plan.h native/binding.gyp $(wildcard module/*.h) $(NODE_MODULES_STAMP)
	cd native && npx node-gyp rebuild --silent

init: $(INIT)
$(INIT): $(wildcard native/init/*.c native/init/*.h)
	@mkdir -p native/bin
	gcc -static -O2 -Wall -Wextra -Werror -o $@.tmp.$$$$ $(filter %.c,$^) && mv -f $@.tmp.$$$$ $@

oci-launcher: $(OCI_LAUNCHER)
$(OCI_LAUNCHER): native/oci-launcher/engine-oci.c
	@mkdir -p native/bin
	gcc -static -O2 -Wall -Wextra -Werror -o $@.tmp.$$$$ $< && mv -f $@.tmp.$$$$ $@

rootfs: rootfs-base/.engine-rootfs
rootfs-base/.engine-rootfs: $(WORKLOAD_BINS) dist/.stamp
	./engine rootfs create rootfs-base --workloads workloads/bin --force

demo: all
	scripts/demo.sh

test: all typecheck
	scripts/test-all.sh

test-unit: build unit-tests
	npm run --silent test:unit

clean:
	rm -rf dist native/build native/bin workloads/bin test-results
	-$(MAKE) -C module clean

