#!/bin/sh
# test/vm-memory/bench-guest.sh: `npm run bench:memory` inside the QEMU guest (vm/boot.sh --hostroot),
# with cgroup2 mounted alone and monitor.ko loaded, so the cgroup v2 and module enforcers are measured.
# The results leave the guest as one "BENCH-JSON {...}" line on the serial console.
set -u
dmesg -n 1  # keep kernel messages (OOM reports) off the console: they would split the JSON line
mount -t cgroup2 cgroup2 /sys/fs/cgroup || { echo "FAIL bench: mount cgroup2"; exit 1; }
insmod "${VM_MEMORY_KO:-module/monitor.ko}" || { echo "FAIL bench: insmod monitor.ko"; exit 1; }
node dist/bench/memory/run.js --print-json --runs "${BENCH_RUNS:-5}" --label guest
rc=$?
rmmod monitor
exit $rc
