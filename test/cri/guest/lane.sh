#!/usr/bin/env bash
# test/cri/guest/lane.sh: the CRI lane on cgroup v2 (issue 15), driven by mk/cri.mk. This host runs cgroup
# v1, so the lane boots Debian's packaged kernel under QEMU with the host's / over 9p (vm/boot.sh
# --hostroot), mounts cgroup2 alone there and runs the CRI tests (test/cri/guest/payload.sh): a private
# containerd with handlers `runc` and `engine`, driven by the project's CRI client as on the host.
# Judges the serial log (vm/judge.sh) and writes test-results/cri-v2.counts = "passed failed skipped".
# Nothing the guest writes reaches the host (its root is a tmpfs overlay). Needs `make` and Debian's
# containerd and runc on the host (mk/cri.mk installs them as root). Exit 0 only when the judge passes.
set -uo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
out=${VM_OUT:-$root/vm/out}
log=$out/cri-v2.log
mkdir -p "$out" test-results
say() { echo "cri-v2 lane: $*"; }

missing=$(for b in containerd containerd-shim-runc-v2 runc; do command -v "$b" >/dev/null || echo -n "$b "; done)
if [ -n "$missing" ]; then
  say "SKIP: ${missing% } not installed (run the lane as root: mk/cri.mk installs Debian's containerd and runc)"
  echo "0 0 1" >test-results/cri-v2.counts
  exit 0
fi
if ! vm/kernel.sh ensure >/dev/null 2>&1; then
  say "SKIP: cannot install $(vm/kernel.sh packages) for the guest (no root or no Debian archive)"
  echo "0 0 1" >test-results/cri-v2.counts
  exit 0
fi

t0=$SECONDS
vm/boot.sh --init test/cri/guest/payload.sh --hostroot --name cri-v2 --log "$log" --mem 2G \
  --timeout "${CRI_V2_TIMEOUT:-2100}" >"$out/cri-v2.console" 2>&1
grep -E '^(PASS|FAIL|SKIP|cri-v2:|  cri-v2 \||  \||  containerd.log|LANE-RESULT|BOOT-HARNESS)' "$log" | sed 's/^/  /'
vm/judge.sh "$log" --expect '^PASS cri-v2: .*engine: CreateContainer \+ StartContainer: RUNNING' \
  --expect '^PASS cri-v2: .*engine: resources.memory: '
rc=$?
passed=$(grep -c '^PASS cri-v2' "$log")
failed=$(grep -c '^FAIL' "$log")
skipped=$(grep -c '^SKIP cri-v2' "$log")
[ $rc != 0 ] && [ "$failed" = 0 ] && failed=1  # the judge refused for a reason without a FAIL line
echo "$passed $failed $skipped" >test-results/cri-v2.counts
say "$([ $rc = 0 ] && echo PASSED || echo FAILED) in $((SECONDS - t0)) s: $passed passed, $failed failed, $skipped skipped (log: ${log#$root/})"
exit $rc
