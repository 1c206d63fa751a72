# OCI runtime lane (issue 13): containerd's ctr and podman drive each runtime (runc, and
# ./engine-oci once it exists) through the same scenarios. See test/oci/README.md.
#   make test-lane-oci   installs containerd, podman, runc, conmon, tmux if missing, starts a private
#                        containerd and podman, runs test/oci/*.test.ts, tears everything down.
#                        Counts: test-results/oci.counts.
#   make oci-capture     the same with each runtime behind a logging wrapper: every call and its
#                        config.json, by scenario, in test-results/oci-capture/.
OCI_TOOLS := test/oci/tools/bin/pid_reuse

.PHONY: test-lane-oci oci-capture oci-tools
oci-tools: $(OCI_TOOLS)

test/oci/tools/bin/%: test/oci/tools/%.c
	@mkdir -p $(@D)
	gcc -static -O2 -Wall -Wextra -o $@.tmp.$$$$ $< && mv -f $@.tmp.$$$$ $@

test-lane-oci: build rootfs $(OCI_TOOLS)
	node --import tsx test/oci/lane.ts

oci-capture: build rootfs $(OCI_TOOLS)
	node --import tsx test/oci/lane.ts --capture
