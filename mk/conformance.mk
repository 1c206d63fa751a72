# OCI runtime-spec conformance (issue 13): test/conformance/README.md.
#   make conformance-build       Go + Debian's runtime-tools libraries (offline), the validation programs,
#                                runtimetest and the rootfs tarball into .cache/conformance/bin
#   make test-lane-conformance   every program against runc and ./engine-oci (skipped until it exists);
#                                root only; writes test-results/conformance.{counts,json}
#   make bench-oci               npm run bench:oci (bench/results/oci.{md,json})
.PHONY: conformance-build test-lane-conformance bench-oci

conformance-build: build rootfs
	test/conformance/build.sh

test-lane-conformance: build rootfs
	node --import tsx test/conformance/run.ts

bench-oci: build rootfs
	npm run --silent bench:oci
