#!/usr/bin/env bash
# test/vm-memory/bench.sh: run the memory bench in the QEMU guest and add its rows to
# bench/results/memory.md (bench/results/memory-guest.json). Needs `make` done first.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${VM_OUT:-$root/vm/out}
log=$out/memory-bench.log
mkdir -p "$out" bench/results
vm/boot.sh --init test/vm-memory/bench-guest.sh --hostroot --name memory-bench --log "$log" \
  --timeout "${VM_MEMORY_BENCH_TIMEOUT:-1200}" >"$out/memory-bench.console" 2>&1
vm/judge.sh "$log" --expect '^BENCH-JSON ' || exit 1
sed -n 's/^BENCH-JSON //p' "$log" | tail -1 | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const doc = JSON.parse(s);
    require("fs").writeFileSync("bench/results/memory-guest.json", JSON.stringify(doc, null, 2) + "\n");
  });' || { echo "bench: the guest's BENCH-JSON line does not parse"; exit 1; }
node dist/bench/memory/run.js --render-only
