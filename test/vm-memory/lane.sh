#!/usr/bin/env bash
# test/vm-memory/lane.sh: the memory lane in the QEMU guest (issue 5, item 4), driven by mk/memory.mk.
# Boots Debian's packaged kernel with the host's / over 9p (vm/boot.sh --hostroot), runs
# test/vm-memory/guest.sh there (cgroup v2 alone, then monitor.ko), judges the serial log
# (vm/judge.sh) and writes test-results/vm.counts = "passed failed skipped" from its
# PASS/FAIL/SKIP lines. Needs `make` done first (dist/, the addon, workloads, rootfs-base, module).
# Exit 0 only when the judge passes.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${VM_OUT:-$root/vm/out}
log=$out/memory.log
mkdir -p "$out" test-results
t0=$SECONDS
vm/boot.sh --init test/vm-memory/guest.sh --hostroot --name memory --log "$log" \
  --timeout "${VM_MEMORY_TIMEOUT:-900}" >"$out/memory.console" 2>&1
grep -E '^(PASS|FAIL|SKIP|vm-memory:|klog:|  [a-z0-9-]+ \||LANE-RESULT|BOOT-HARNESS)' "$log" | sed 's/^/  /'
vm/judge.sh "$log" --expect '^PASS vm-memory cgroup-v2: ' --expect '^PASS vm-memory module: '
rc=$?
passed=$(grep -c '^PASS vm-memory' "$log")
failed=$(grep -c '^FAIL' "$log")
skipped=$(grep -c '^SKIP vm-memory' "$log")
[ $rc != 0 ] && [ "$failed" = 0 ] && failed=1  # the judge refused for a reason without a FAIL line
echo "$passed $failed $skipped" >test-results/vm.counts
echo "vm-memory lane: $([ $rc = 0 ] && echo PASSED || echo FAILED) in $((SECONDS - t0)) s: $passed passed, $failed failed, $skipped skipped (log: ${log#$root/})"
exit $rc
