#!/bin/sh
# test/cri/guest/payload.sh: the CRI lane on cgroup v2, run inside the QEMU guest (vm/boot.sh --hostroot)
# from the repository root, as root, on Debian's packaged kernel. The guest mounts cgroup2 alone, so
# containerd, its shim, runc and engine-oci all take their cgroup v2 paths (memory.max, memory.events,
# the BPF device filter): what a current Kubernetes node with the cgroupfs driver runs.
# The pod-start timing file is left out: under TCG its figures say nothing about either runtime.
# Every ava test becomes one "PASS|FAIL|SKIP cri-v2: <title>" line; the host counts them.
set -u
say() { echo "cri-v2: $*"; }

mount -t cgroup2 cgroup2 /sys/fs/cgroup || { echo "FAIL cri-v2: mount cgroup2"; exit 1; }
say "cgroup2 at /sys/fs/cgroup, controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
# containerd's overlay snapshots need a filesystem that can be an overlay's upper layer, and the guest's
# root is itself an overlay: the lanes' temporary directories go to a tmpfs of their own.
tmp=/var/cri-v2
mkdir -p "$tmp" && mount -t tmpfs -o size=800m tmpfs "$tmp" || { echo "FAIL cri-v2: tmpfs at $tmp"; exit 1; }
export TMPDIR=$tmp

files="test/cri/pod-lifecycle.test.ts test/cri/observables.test.ts test/cri/memory.test.ts test/cri/cleanup.test.ts"
out=$tmp/ava.tap
timeout "${CRI_V2_AVA_TIMEOUT:-1800}" npx ava --tap --timeout 20m --concurrency 1 --config test/cri/ava.config.mjs $files >"$out" 2>&1
rc=$?
awk '
  /^ok [0-9]+ - .*# SKIP/ { sub(/^ok [0-9]+ - /, ""); sub(/ *# SKIP.*$/, ""); print "SKIP cri-v2: " $0; next }
  /^ok [0-9]+ - / { sub(/^ok [0-9]+ - /, ""); print "PASS cri-v2: " $0; next }
  /^not ok [0-9]+ - / { sub(/^not ok [0-9]+ - /, ""); print "FAIL cri-v2: " $0; next }
  /^#   / { print "  cri-v2 | " substr($0, 5) }
' "$out"
if [ $rc != 0 ]; then
  grep -q '^not ok' "$out" || { echo "FAIL cri-v2: ava exited $rc"; tail -n 25 "$out" | sed 's/^/  | /'; }
  grep -A12 '^not ok' "$out" | head -80 | sed 's/^/  | /'
  for log in "$tmp"/engine-cri-*/containerd.log; do
    [ -f "$log" ] && tail -n 20 "$log" | sed "s|^|  containerd.log |"
  done
fi
say "done, ava exited $rc"
exit $rc
