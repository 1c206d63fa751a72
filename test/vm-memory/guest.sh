#!/bin/sh
# test/vm-memory/guest.sh: the memory lane's payload, run inside the QEMU guest (vm/boot.sh --hostroot)
# from the repository root, as root, on Debian's packaged kernel.
#   1. cgroup v2: mount cgroup2 ALONE at /sys/fs/cgroup (the guest has no v1 hierarchy), then run the
#      enforcer tests (test/memory/cgroup.test.ts) and the end-to-end tests through the real Node
#      supervisor (test/memory/e2e.test.ts) against it, and the devices cgroup as a BPF program
#      (test/core/devices.test.ts, test/security/device-filter.test.ts).
#   2. kernel module: insmod module/monitor.ko, run the module enforcer tests and the end-to-end tests
#      with --memory-enforcer module, rmmod.
# Every ava test becomes one "PASS|FAIL|SKIP vm-memory <part>: <title>" line; the host counts them.
set -u
fails=0
say() { echo "vm-memory: $*"; }

run_ava() {  # PART FILE... (env already set by the caller)
  part=$1; shift
  out=/tmp/ava-$part.tap
  timeout "${VM_MEMORY_AVA_TIMEOUT:-900}" npx ava --tap --timeout 10m --concurrency 1 "$@" >"$out" 2>&1
  rc=$?
  awk -v part="$part" '
    /^ok [0-9]+ - .*# SKIP/ { sub(/^ok [0-9]+ - /, ""); sub(/ *# SKIP.*$/, ""); print "SKIP vm-memory " part ": " $0; next }
    /^ok [0-9]+ - / { sub(/^ok [0-9]+ - /, ""); print "PASS vm-memory " part ": " $0; next }
    /^not ok [0-9]+ - / { sub(/^not ok [0-9]+ - /, ""); print "FAIL vm-memory " part ": " $0; next }
    /^#   / { print "  " part " | " substr($0, 5) }
    /skipped: / { print "  " part " | " $0 }
  ' "$out"
  if [ $rc != 0 ]; then
    fails=$((fails + 1))
    grep -q '^not ok' "$out" || { echo "FAIL vm-memory $part: ava exited $rc"; tail -n 25 "$out" | sed 's/^/  | /'; }
    grep -A12 '^not ok' "$out" | head -60 | sed 's/^/  | /'
  fi
}

# ---- 1. cgroup v2 alone ----------------------------------------------------------------------
if mount -t cgroup2 cgroup2 /sys/fs/cgroup; then
  say "cgroup2 at /sys/fs/cgroup, controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
  if grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
    run_ava cgroup-v2 test/memory/cgroup.test.ts test/memory/e2e.test.ts test/core/devices.test.ts test/security/device-filter.test.ts
  else
    echo "FAIL vm-memory cgroup-v2: no memory controller in the guest's cgroup2"; fails=$((fails + 1))
  fi
else
  echo "FAIL vm-memory cgroup-v2: mount cgroup2"; fails=$((fails + 1))
fi

# ---- 2. kernel module ------------------------------------------------------------------------
ko=${VM_MEMORY_KO:-module/monitor.ko}
if [ ! -f "$ko" ]; then
  echo "FAIL vm-memory module: $ko is not built (make module)"; fails=$((fails + 1))
elif insmod "$ko"; then
  say "monitor.ko loaded, $(ls -l /dev/container_monitor 2>&1)"
  # one file at a time: the device has ONE event queue, so two readers would take each other's events
  run_ava module test/memory/module.test.ts
  ENGINE_TEST_MEMORY_ENFORCER=module run_ava module-e2e test/memory/e2e.test.ts
  dmesg | grep 'container_monitor\]' | tail -n 8 | sed 's/^/klog: /'
  rmmod monitor || { echo "FAIL vm-memory module: rmmod"; fails=$((fails + 1)); }
else
  echo "FAIL vm-memory module: insmod $ko"; fails=$((fails + 1))
fi
say "done, $fails part(s) failed"
[ $fails = 0 ]
