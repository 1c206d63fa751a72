# Kubernetes node lane (issue 15): pods through containerd's CRI plugin, as kubelet drives them, with two
# runtime handlers: `runc` (the reference) and `engine` (./engine-oci; its tests skip until it exists).
# See docs/kubernetes.md.
#   make test-lane-cri  as root: install containerd and runc if missing, run test/cri under its own ava
#                       config, then destroy any lane a killed test process left behind.
#                       Counts: test-results/cri.counts. Pod start table: test-results/cri-timing.md.
#   make test-lane-cri-v2  the same tests (pod start timing aside) on cgroup v2 alone, inside the QEMU guest
#                       (test/cri/guest/lane.sh). Log: vm/out/cri-v2.log. Counts: test-results/cri-v2.counts.
#   make cri-sweep      only the last step: destroy lanes whose test process is gone.
.PHONY: test-lane-cri test-lane-cri-v2 cri-sweep

test-lane-cri: build rootfs
	@if [ "$$(id -u)" = 0 ]; then scripts/ensure-debs.sh containerd runc jq; fi
	@status=0; node scripts/run-ava.mjs --lane cri --config test/cri/ava.config.mjs || status=$$?; \
	  node --import tsx test/cri/harness/sweep.ts; exit $$status

test-lane-cri-v2: build rootfs
	@if [ "$$(id -u)" = 0 ]; then scripts/ensure-debs.sh containerd runc jq; fi
	test/cri/guest/lane.sh

cri-sweep:
	node --import tsx test/cri/harness/sweep.ts
